"""What a page tells search engines and link previews: canonical URL, cover image, JSON-LD.

Every absolute URL comes from ``site_url.absolute_url`` (``SITE_URL``, or the request's
origin with the page cache keyed by it: ``caching/page_keys.py`` ABSOLUTE_URL_PAGES).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from flask import request
from markupsafe import Markup

from .caching.page_keys import DEFAULT_ARGS, PAGES
from .site_url import absolute_url
from .templating import iso_datetime

# Characters that could end a <script> element or open a comment inside it, or that some
# JavaScript parsers treat as line ends: written as JSON escapes, which mean the same data.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                 "\u2029": "\\u2029"}  # fmt: skip


def canonical_url() -> str:
    """Return this page's absolute URL with only the parameters that choose its content.

    The page cache keys a page by those same parameters (``PAGES``) and stores no page
    fetched with others, so tracking parameters (``utm_*``, ``fbclid``) never reach it.
    """
    endpoint = request.endpoint or "blog.index"
    known = PAGES[endpoint][0] if endpoint in PAGES else ()
    values: dict[str, Any] = dict(request.view_args or {})
    for name in known:
        raw = request.args.get(name, "")
        if raw.isascii() and raw.isdigit() and len(raw) <= 10:
            value = str(int(raw))  # the page cache's spelling of it: ?page=01 is ?page=1
            if DEFAULT_ARGS.get(name) != value:
                values[name] = value
    return absolute_url(endpoint, **values)


def cover_url(blog: dict[str, Any]) -> str | None:
    """Return the absolute URL of a blog's cover image, or None.

    A cover is an external https link or a path on this site (an uploaded image under
    /media/): the one place that turns either into what link previews need.
    """
    link: str | None = blog.get("cover_image")
    if not link:
        return None
    if link.startswith(("https://", "http://")):
        return link
    return urljoin(absolute_url("blog.index"), link)


def json_ld(data: dict[str, Any]) -> Markup:
    """Return ``data`` as JSON that is safe inside ``<script type="application/ld+json">``."""
    text = json.dumps({"@context": "https://schema.org", **data}, ensure_ascii=False)
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)


def blog_posting(blog: dict[str, Any]) -> dict[str, Any]:
    """Return schema.org ``BlogPosting`` data of a blog."""
    url = absolute_url("blog.detail", slug=blog["slug"])
    data: dict[str, Any] = {
        "@type": "BlogPosting",
        "headline": blog["title"],
        "description": blog["excerpt"],
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": iso_datetime(blog["created_at"]),
        "dateModified": iso_datetime(blog["updated_at"] or blog["created_at"]),
        "author": {
            "@type": "Person",
            "name": blog["author"]["name"],
            "url": absolute_url("blog.author", author_id=blog["author"]["id"]),
        },
        "keywords": [tag["name"] for tag in blog["tags"]],
    }
    image = cover_url(blog)
    if image:
        data["image"] = image
    return data


def person(author: dict[str, Any]) -> dict[str, Any]:
    """Return schema.org ``Person`` data of an author."""
    data = {
        "@type": "Person",
        "name": author["name"],
        "url": absolute_url("blog.author", author_id=author["id"]),
    }
    if author.get("bio"):
        data["description"] = author["bio"]
    return data
