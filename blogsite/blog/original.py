"""The original chapter's demonstration pages, kept at their URLs as HTML pages."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, make_response, render_template, request
from markupsafe import Markup

from ..caching import cached_page, fill, fragment, is_on, render_shared, render_shell, shared_page
from ..caching.fragments import SLOT, assembled
from ..logs import log_event
from ..models import MAX_ID
from ..throttling import anon_throttle, describe_rate, scoped_throttle, user_throttle
from . import bp, queries
from .views import after_arg, check_page_exists, page_arg, per_page


def author_arg() -> tuple[int, dict[str, Any]]:
    """Return ``?author_id=`` and its author: 400 when malformed or negative; 404 when unknown.

    The author is returned too so the view does not read the cache for it a second time.
    """
    raw = request.args.get("author_id", "")
    if not raw.isascii() or not raw.isdigit():
        abort(400, description="author_id must be given as a positive whole number.")
    author_id = int(raw) if len(raw) <= 10 else MAX_ID + 1
    if author_id < 1:
        abort(400, description="author_id must be given as a positive whole number.")
    author = queries.author_info(author_id) if author_id <= MAX_ID else None
    if author is None:
        abort(404)
    return author_id, author


def all_blogs_archive(author_id: int) -> Markup:
    """Return the archive of every published blog of an author, a shared fragment."""
    render = lambda: render_shared(  # noqa: E731
        "blog/_archive.html",
        blogs=queries.get_all_blogs(author_id),
        empty="No published blogs yet.",
    )
    return fragment(f"archive:{author_id}", [f"author:{author_id}"], render) or Markup()


# --- Caching issue: /blog/blogs_auto_invalidation/?author_id=N ------------------------


@bp.get("/blog/blogs_auto_invalidation/")
@cached_page
def blogs_auto_invalidation() -> str:
    """List an author's blogs from ``get_all_blogs``, cached and invalidated on every write."""
    author_id, author = author_arg()
    return render_template(
        "blog/author_blogs.html",
        author=author,
        archive=all_blogs_archive(author_id),
        note="Cached with get_all_blogs(author_id); any write to these blogs invalidates it.",
    )


# --- Logging issue: /blog/blogs_logs/?author_id=N ----------------------------------------


@bp.get("/blog/blogs_logs/")
def blogs_logs() -> Response:
    """List an author's blogs and log the visit as an event, as the original does.

    It logs on every request, so it is never page-cached: it is not registered as
    cacheable, and it tells every cache on the way ``Cache-Control: no-store``. The
    query behind it, ``get_all_blogs``, is the cached one.
    """
    author_id, author = author_arg()
    log_event("get_blogs_by_author", {"author_id": author_id})
    page, archive = logged_page(author_id, author)
    response = make_response(assembled(page, archive))
    response.headers["Cache-Control"] = "no-store"
    return response


def logged_page(author_id: int, author: dict[str, Any]) -> tuple[str, Markup]:
    """Return the logged page with a SLOT for its archive, and the archive.

    The archive (500 rows, about 85 KB) is encoded once per version instead of copied
    into the page and encoded on each request. With caching on, the page around it is a
    shell kept with it for every reader (caching/shells.py): only the header and
    flashed messages are rendered per request.
    """
    if not is_on():
        page = render_template("blog/author_blogs.html", author=author, archive=SLOT)
        return page, all_blogs_archive(author_id)

    def build() -> dict[str, Any]:
        # Read again inside: the shell's data must postdate its generations.
        fresh = queries.author_info(author_id) or author
        shell = render_shell("blog/author_blogs.html", author=fresh, archive=SLOT)
        return {"shell": shell, "archive": all_blogs_archive(author_id)}

    shared = shared_page(f"blogs-logs:{author_id}", [f"author:{author_id}"], build)
    if shared is None:
        abort(404)  # never: build always returns a page
    return fill(shared["shell"]), shared["archive"]


# --- Throttling issue: /blog/blogs_anon_view/, blogs_user_view/, blogs_scoped_view/ -----
# Each lists all published blogs, paginated, behind one of DRF's throttles; the limit is
# checked before the page cache answers (see blogsite/throttling/rules.py).
THROTTLE_PAGES = {
    "blog.blogs_anon_view": ("anon", "Anonymous throttle",
                             "per address; logged-in readers skip it"),
    "blog.blogs_user_view": ("user", "User throttle", "per user, or per address when logged out"),
    "blog.blogs_scoped_view": ("blog_limit", "Scoped throttle: blog_limit",
                               "shared by every page in the scope, per user or address"),
}  # fmt: skip


def throttled_listing(endpoint: str) -> str:
    """Render every published blog (title, author, date) for one of the throttle pages."""
    throttle, heading, keyed = THROTTLE_PAGES[endpoint]
    listing = queries.home_page(page_arg(), per_page(), after_arg())
    check_page_exists(listing)
    rate = describe_rate(current_app.config["THROTTLE_RATES"][throttle])
    return render_template(
        "blog/throttled.html", listing=listing, endpoint=endpoint, heading=heading,
        rate=rate, keyed=keyed,
    )  # fmt: skip


@bp.get("/blog/blogs_anon_view/")
@anon_throttle
def blogs_anon_view() -> str:
    return throttled_listing("blog.blogs_anon_view")


@bp.get("/blog/blogs_user_view/")
@user_throttle
def blogs_user_view() -> str:
    return throttled_listing("blog.blogs_user_view")


@bp.get("/blog/blogs_scoped_view/")
@scoped_throttle("blog_limit")
def blogs_scoped_view() -> str:
    return throttled_listing("blog.blogs_scoped_view")
