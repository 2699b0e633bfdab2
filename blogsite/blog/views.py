"""Public pages: home, blog, author, tag and the Atom feed (sitemaps are in sitemaps.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user

from ..caching import cached_page
from . import bp, queries

MAX_PAGE = 100_000  # beyond any real archive; bigger numbers are a 404, not a huge OFFSET
MAX_ID = 2**31 - 1  # PostgreSQL integer; a larger id would be a database error, not a 404


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


def can_see_drafts_of(author_user_id: int | None) -> bool:
    """Return whether the current user may see drafts written by ``author_user_id``."""
    if not current_user.is_authenticated:
        return False
    return bool(current_user.is_staff) or author_user_id == current_user.id


@bp.get("/")
@cached_page
def index() -> str:
    listing = queries.home_page(page_arg(), per_page(), after_arg())
    check_page_exists(listing)
    return render_template("blog/index.html", listing=listing)


@bp.get("/blog/<slug>/")
@cached_page
def detail(slug: str) -> str:
    blog = queries.blog_detail(slug) if len(slug) <= 120 else None
    if blog is None:
        abort(404)
    if blog["status"] != "published" and not can_see_drafts_of(blog["author"]["user_id"]):
        abort(404)  # a draft is not there for anyone else; 403 would reveal it exists
    return render_template("blog/detail.html", blog=blog)


@bp.get("/author/<int:author_id>/")
@cached_page
def author(author_id: int) -> str:
    info = queries.author_info(author_id) if author_id <= MAX_ID else None
    if info is None:
        abort(404)
    listing = queries.author_page(author_id, page_arg(), per_page(), after_arg())
    check_page_exists(listing)
    drafts = queries.author_drafts(author_id) if can_see_drafts_of(info["user_id"]) else []
    return render_template("blog/author.html", author=info, listing=listing, drafts=drafts)


@bp.get("/tag/<slug>/")
@cached_page
def tag(slug: str) -> str:
    info = queries.tag_info(slug) if len(slug) <= 60 else None
    if info is None:
        abort(404)
    listing = queries.tag_page(info["id"], page_arg(), per_page(), after_arg())
    check_page_exists(listing)
    return render_template("blog/tag.html", tag=info, listing=listing)


@bp.get("/feed.xml")
@cached_page
def feed() -> Response:
    entries = queries.feed_entries(int(current_app.config["FEED_SIZE"]))
    updated = max((entry["updated_at"] for entry in entries), default=None)
    body = render_template("blog/feed.xml", entries=entries, updated=updated)
    return Response(body, mimetype="application/atom+xml")
