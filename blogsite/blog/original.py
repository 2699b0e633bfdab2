"""The original chapter's demonstration pages, kept at their URLs as HTML pages."""

from __future__ import annotations

from flask import abort, request

from . import queries
from .views import MAX_ID


def author_id_arg() -> int:
    """Return ``?author_id=``: 400 when missing, malformed or negative; 404 when unknown."""
    raw = request.args.get("author_id", "")
    if not raw.isascii() or not raw.isdigit():
        abort(400, description="author_id must be given as a positive whole number.")
    author_id = int(raw) if len(raw) <= 10 else MAX_ID + 1
    if author_id < 1:
        abort(400, description="author_id must be given as a positive whole number.")
    if author_id > MAX_ID or queries.author_info(author_id) is None:
        abort(404)
    return author_id


# --- Caching issue: /blog/blogs_auto_invalidation/?author_id=N ------------------------


# --- Logging issue: /blog/blogs_logs/?author_id=N ----------------------------------------
from flask import Response, make_response, render_template  # noqa: E402

from ..logs import log_event  # noqa: E402
from . import bp  # noqa: E402


@bp.get("/blog/blogs_logs/")
def blogs_logs() -> Response:
    """List an author's blogs and log the visit as an event, as the original does.

    It logs on every request, so it is never page-cached: it is not registered as
    cacheable, and it tells every cache on the way ``Cache-Control: no-store``. The
    query behind it, ``get_all_blogs``, is the cached one.
    """
    author_id = author_id_arg()
    log_event("get_blogs_by_author", {"author_id": author_id})
    blogs = queries.get_all_blogs(author_id)
    author = queries.author_info(author_id)
    page = render_template("blog/author_blogs.html", author=author, blogs=blogs)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Throttling issue: /blog/blogs_anon_view/, blogs_user_view/, blogs_scoped_view/ -----
