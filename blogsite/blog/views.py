"""Public pages: home, blog, author and tag (feeds are in feeds.py, sitemaps in sitemaps.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from ..caching import (
    cached_page,
    expires_at,
    fill,
    fragment,
    is_on,
    render_shared,
    render_shell,
    shared_page,
)
from ..domain import publishing
from ..models import MAX_ID, STATUS_PUBLISHED
from . import bp, queries

MAX_PAGE = 100_000  # beyond any real archive; bigger numbers are a 404, not a huge OFFSET


def page_arg() -> int:
    """Return ``?page=`` as a positive int: 400 when malformed, 404 when absurdly large."""
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit():
        abort(400, description="The page number must be a positive whole number.")
    if len(raw) > 6 or int(raw) > MAX_PAGE:
        abort(404)
    page = int(raw)
    if page < 1:
        abort(400, description="The page number must be a positive whole number.")
    return page


def after_arg() -> int | None:
    """Return ``?after=`` (the id of the last blog an Older link came from), or None."""
    raw = request.args.get("after")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_ID:
        abort(400, description="after must be a blog id.")
    return int(raw)


def per_page() -> int:
    """Return the configured number of blogs per listing page."""
    return int(current_app.config["BLOGS_PER_PAGE"])


def check_page_exists(listing: dict[str, Any]) -> None:
    """Answer 404 for a page past the last one (page 1 always exists)."""
    if listing["page"] > listing["pages"]:
        abort(404)


def listing_cards(
    name: str,
    deps: list[str],
    read: Callable[[], dict[str, Any]],
    endpoint: str,
    empty: str = "No blogs yet.",
    **url_args: Any,
) -> Markup:
    """Return a listing page's cards and page links, a shared fragment; 404 past the end."""

    def render() -> str | None:
        listing = read()  # inside: the data is read after the fragment's generations
        if listing["page"] > listing["pages"]:
            return None
        return render_shared(
            "blog/_cards.html", blogs=listing["items"], listing=listing, endpoint=endpoint,
            url_args=url_args, empty=empty,
        )  # fmt: skip

    cards = fragment(name, deps, render)
    if cards is None:
        abort(404)
    return cards


def can_see_drafts_of(author_user_id: int | None) -> bool:
    """Return whether the current user may see drafts written by ``author_user_id``."""
    if not current_user.is_authenticated:
        return False
    return bool(current_user.is_staff) or author_user_id == current_user.id


def signed_in() -> bool:
    """Return whether this page is a signed-in reader's, filled into a shared shell."""
    # Anonymous readers get whole pages from the page cache; with caching off, nothing
    # would keep a shell, and rendering the page in one go is cheaper.
    return is_on() and bool(current_user.is_authenticated)


@bp.get("/")
@cached_page
def index() -> str:
    page, size, after = page_arg(), per_page(), after_arg()
    name = f"home:{page}:{size}:{after}"
    read = lambda: queries.home_page(page, size, after)  # noqa: E731

    def cards() -> Markup:
        return listing_cards(name, ["lists"], read, "blog.index")

    if signed_in():
        shared = shared_page(
            name, ["lists"], lambda: {"shell": render_shell("blog/index.html", cards=cards())}
        )
        if shared is None:
            abort(404)  # never: a page past the end aborts while it is built
        return fill(shared["shell"])
    return render_template("blog/index.html", cards=cards())


def body_of(slug: str, blog: dict[str, Any]) -> Markup:
    """Return a blog's rendered body, a shared fragment (``blog``: as the page just read it)."""
    # Read again inside the fragment: its data must postdate its generations. With
    # caching off there are none, and the blog just read is as fresh: no second query.
    read = queries.blog_detail if is_on() else lambda _slug: blog
    body = fragment(
        f"body:{slug}", [f"blog:{slug}"], lambda: render_shared("blog/_body.html", blog=read(slug))
    )
    return body if body is not None else Markup()


def detail_page(slug: str) -> dict[str, Any] | None:
    """Return a blog page as every signed-in reader sees it (None: no such blog).

    Its ``blog`` holds what the personal parts read; a draft or scheduled blog gets no
    shell (``None``): only its writer and staff see it, rendered in one go.
    """
    blog = queries.blog_detail(slug)
    if blog is None:
        return None
    facts = {"slug": slug, "author": {"user_id": blog["author"]["user_id"]}}
    if not publishing.is_visible(blog["status"], blog["publish_at"]):
        if blog["status"] == STATUS_PUBLISHED:
            expires_at(blog["publish_at"])  # it comes out then: build the page again
        return {"shell": None, "blog": facts}
    shell = render_shell("blog/detail.html", blog=blog, body=body_of(slug, blog))
    return {"shell": shell, "blog": facts}


@bp.get("/blog/<slug>/")
@cached_page
def detail(slug: str) -> str:
    if len(slug) > 120:
        abort(404)
    if signed_in():
        page = shared_page(f"detail:{slug}", [f"blog:{slug}"], lambda: detail_page(slug))
        if page is None:
            abort(404)
        if page["shell"] is not None:
            return fill(page["shell"], blog=page["blog"])
    blog = queries.blog_detail(slug)
    if blog is None:
        abort(404)
    hidden = not publishing.is_visible(blog["status"], blog["publish_at"])
    if hidden and not can_see_drafts_of(blog["author"]["user_id"]):
        abort(404)  # a draft or scheduled blog is not there for others; 403 would reveal it
    return render_template("blog/detail.html", blog=blog, body=body_of(slug, blog))


@bp.get("/author/<int:author_id>/")
@cached_page
def author(author_id: int) -> str:
    info = queries.author_info(author_id) if author_id <= MAX_ID else None
    if info is None:
        abort(404)
    page, size, after = page_arg(), per_page(), after_arg()
    cards = listing_cards(
        f"author:{author_id}:{page}:{size}:{after}", [f"author:{author_id}"],
        lambda: queries.author_page(author_id, page, size, after), "blog.author",
        empty="No published blogs yet.", author_id=author_id,
    )  # fmt: skip
    drafts = queries.author_drafts(author_id) if can_see_drafts_of(info["user_id"]) else []
    return render_template("blog/author.html", author=info, cards=cards, drafts=drafts)


@bp.get("/tag/<slug>/")
@cached_page
def tag(slug: str) -> str:
    info = queries.tag_info(slug) if len(slug) <= 60 else None
    if info is None:
        abort(404)
    page, size, after, tag_id = page_arg(), per_page(), after_arg(), info["id"]
    cards = listing_cards(
        f"tag:{tag_id}:{page}:{size}:{after}", ["lists"],
        lambda: queries.tag_page(tag_id, page, size, after),
        "blog.tag", empty="No published blogs with this tag yet.", slug=info["slug"],
    )  # fmt: skip
    return render_template("blog/tag.html", tag=info, cards=cards)
