"""Sitemaps and robots.txt: what search engines may crawl, and where to find it.

A sitemap holds at most 50,000 URLs (sitemaps.org). A bigger site gets a sitemap index at
``/sitemap.xml`` pointing at ``/sitemap-1.xml``, ``/sitemap-2.xml``, ... instead.
"""

from __future__ import annotations

import math

from flask import Response, abort, current_app, render_template, url_for

from ..caching import cached_page
from ..site_url import absolute_url
from . import bp, sitemap_rows

MAX_PART = 100_000  # beyond any real site; a larger part number is a 404, not an error


def xml(body: str) -> Response:
    return Response(body, mimetype="application/xml")


@bp.get("/sitemap.xml")
@cached_page
def sitemap() -> Response:
    """The sitemap, or for a site over ``SITEMAP_MAX_URLS`` URLs an index of its parts."""
    counts = sitemap_rows.sizes()
    size, total = int(current_app.config["SITEMAP_MAX_URLS"]), sitemap_rows.total(counts)
    if total <= size:
        return xml(sitemap_rows.urlset(sitemap_rows.rows(counts, 0, total, stamped=True)))
    latest = sitemap_rows.latest_by_part(counts, size)
    parts = [(number, latest.get(number)) for number in range(1, math.ceil(total / size) + 1)]
    return xml(render_template("blog/sitemap_index.xml", parts=parts))


@bp.get("/sitemap-<int:part>.xml")
@cached_page
def sitemap_part(part: int) -> Response:
    """One part of a large site's sitemap (a small site has only ``/sitemap.xml``)."""
    if part > MAX_PART:
        abort(404)
    counts = sitemap_rows.sizes()
    size, total = int(current_app.config["SITEMAP_MAX_URLS"]), sitemap_rows.total(counts)
    if total <= size or not 1 <= part <= math.ceil(total / size):
        abort(404)
    start = (part - 1) * size
    stop = min(start + size, total)
    return xml(sitemap_rows.urlset(sitemap_rows.rows(counts, start, stop, stamped=True)))


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
