"""Sitemaps and robots.txt: what search engines may crawl, and where to find it.

A sitemap holds at most 50,000 URLs (sitemaps.org). A bigger site gets a sitemap index at
``/sitemap.xml`` pointing at ``/sitemap-1.xml``, ``/sitemap-2.xml``, ... instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Response, abort, current_app, render_template, url_for

from ..caching import cached_page
from ..site_url import absolute_url
from . import bp, queries

Item = tuple[str, dict[str, Any], datetime | None]  # endpoint, its values, last change
MAX_PART = 100_000  # beyond any real site; a larger part number is a 404, not an error


def items(entries: dict[str, list[dict[str, Any]]]) -> Iterator[Item]:
    """Yield every public URL in a stable order: home, blogs, authors, tags."""
    yield "blog.index", {}, None
    for blog in entries["blogs"]:
        yield "blog.detail", {"slug": blog["slug"]}, blog["updated_at"]
    for author in entries["authors"]:
        yield "blog.author", {"author_id": author["id"]}, author["updated_at"]
    for tag in entries["tags"]:
        yield "blog.tag", {"slug": tag["slug"]}, tag["updated_at"]


def count(entries: dict[str, list[dict[str, Any]]]) -> int:
    return 1 + sum(len(rows) for rows in entries.values())


def xml(template: str, **context: Any) -> Response:
    return Response(render_template(template, **context), mimetype="application/xml")


@bp.get("/sitemap.xml")
@cached_page
def sitemap() -> Response:
    """The sitemap, or for a site over ``SITEMAP_MAX_URLS`` URLs an index of its parts."""
    entries = queries.sitemap_entries()
    size, total = int(current_app.config["SITEMAP_MAX_URLS"]), count(entries)
    if total <= size:
        return xml("blog/sitemap.xml", urls=items(entries))
    stamps = [lastmod for _, _, lastmod in items(entries)]
    parts = []
    for number, start in enumerate(range(0, total, size), start=1):
        changed = [stamp for stamp in stamps[start : start + size] if stamp is not None]
        parts.append((number, max(changed, default=None)))
    return xml("blog/sitemap_index.xml", parts=parts)


@bp.get("/sitemap-<int:part>.xml")
@cached_page
def sitemap_part(part: int) -> Response:
    """One part of a large site's sitemap (a small site has only ``/sitemap.xml``)."""
    if part > MAX_PART:
        abort(404)
    entries = queries.sitemap_entries()
    size, total = int(current_app.config["SITEMAP_MAX_URLS"]), count(entries)
    if total <= size or not 1 <= part <= math.ceil(total / size):
        abort(404)
    chunk = itertools.islice(items(entries), (part - 1) * size, part * size)
    return xml("blog/sitemap.xml", urls=chunk)


@bp.get("/robots.txt")
def robots() -> Response:
    """Let crawlers index the public pages, not the console or the account pages."""
    body = "\n".join(
        [
            "User-agent: *",
            f"Disallow: {url_for('admin.index')}",
            f"Disallow: {current_app.blueprints['auth'].url_prefix}/",
            f"Sitemap: {absolute_url('blog.sitemap')}",
            "",
        ]
    )
    return Response(body, mimetype="text/plain")
