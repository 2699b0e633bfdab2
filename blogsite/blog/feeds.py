"""Atom feeds: the whole site's, one per author and one per tag (RFC 4287)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, render_template

from ..caching import cached_page
from ..models import MAX_ID
from ..site_url import absolute_url
from . import bp, queries


def atom(entries: list[dict[str, Any]], title: str, page: str, feed: str) -> Response:
    """Return an Atom feed of ``entries``: its id is the page it follows, ``feed`` itself."""
    updated = max((entry["updated_at"] for entry in entries), default=None)
    body = render_template(
        "blog/feed.xml", entries=entries, updated=updated, title=title, page_url=page,
        feed_url=feed,
    )  # fmt: skip
    return Response(body, mimetype="application/atom+xml")


def feed_size() -> int:
    return int(current_app.config["FEED_SIZE"])


@bp.get("/feed.xml")
@cached_page
def feed() -> Response:
    """The site's latest published blogs."""
    entries = queries.feed_entries(feed_size())
    return atom(entries, current_app.config["SITE_NAME"], absolute_url("blog.index"),
                absolute_url("blog.feed"))  # fmt: skip


@bp.get("/author/<int:author_id>/feed.xml")
@cached_page
def author_feed(author_id: int) -> Response:
    """One author's latest published blogs; 404 for an unknown author."""
    info = queries.author_info(author_id) if author_id <= MAX_ID else None
    if info is None:
        abort(404)
    entries = queries.author_feed_entries(author_id, feed_size())
    title = f"{info['name']} · {current_app.config['SITE_NAME']}"
    return atom(entries, title, absolute_url("blog.author", author_id=author_id),
                absolute_url("blog.author_feed", author_id=author_id))  # fmt: skip


@bp.get("/tag/<slug>/feed.xml")
@cached_page
def tag_feed(slug: str) -> Response:
    """The latest published blogs carrying a tag; 404 for an unknown tag."""
    info = queries.tag_info(slug) if len(slug) <= 60 else None
    if info is None:
        abort(404)
    entries = queries.tag_feed_entries(info["id"], feed_size())
    title = f"#{info['name']} · {current_app.config['SITE_NAME']}"
    return atom(entries, title, absolute_url("blog.tag", slug=info["slug"]),
                absolute_url("blog.tag_feed", slug=info["slug"]))  # fmt: skip
