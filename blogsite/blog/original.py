"""The original chapter's demonstration pages, kept at their URLs as HTML pages."""

from __future__ import annotations

from flask import abort, render_template, request

from . import bp, queries
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


@bp.get("/blog/blogs_auto_invalidation/")
def blogs_auto_invalidation() -> str:
    """List an author's blogs from ``get_all_blogs``, cached and invalidated on every write."""
    author_id = author_id_arg()
    return render_template(
        "blog/author_blogs.html",
        author=queries.author_info(author_id),
        blogs=queries.get_all_blogs(author_id),
        note="Cached with get_all_blogs(author_id); any write to these blogs invalidates it.",
    )


# --- Logging issue: /blog/blogs_logs/?author_id=N ----------------------------------------


# --- Throttling issue: /blog/blogs_anon_view/, blogs_user_view/, blogs_scoped_view/ -----
