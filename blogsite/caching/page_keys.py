"""Which requests the page cache answers, and the key each one's page is kept under.

A key names the endpoint, its view arguments and its known query parameters (validated,
in one spelling) and, for pages holding absolute URLs without ``SITE_URL``, the scheme and
host. Each worker remembers the key a request maps to (``page_memory.KeyMemo``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, request
from werkzeug.datastructures import MultiDict

from ..site_url import origin_key
from .generations import ALL
from .page_memory import Found, PageMemory

Deps = Callable[[dict[str, Any], dict[str, str]], list[str]]

# endpoint -> (known query parameters, generations the page is built from)
PAGES: dict[str, tuple[tuple[str, ...], Deps]] = {
    "blog.index": (("page", "after"), lambda view, args: ["lists"]),
    "blog.detail": ((), lambda view, args: [f"blog:{view['slug']}"]),
    "blog.author": (("page", "after"), lambda view, args: [f"author:{view['author_id']}"]),
    "blog.tag": (("page", "after"), lambda view, args: ["lists"]),
    "blog.feed": ((), lambda view, args: ["lists"]),
    "blog.author_feed": ((), lambda view, args: [f"author:{view['author_id']}"]),
    "blog.tag_feed": ((), lambda view, args: ["lists"]),
    "blog.sitemap": ((), lambda view, args: ["lists"]),
    "blog.sitemap_part": ((), lambda view, args: ["lists"]),
    "blog.blogs_auto_invalidation": (
        ("author_id",),
        lambda view, args: [f"author:{args['author_id']}"],
    ),
}
# Pages holding absolute URLs (feeds, sitemaps, and the canonical and OpenGraph links of
# the HTML pages): without SITE_URL their key carries the scheme and host, so one
# request's Host or X-Forwarded-Proto never reaches another reader.
ABSOLUTE_URL_PAGES = frozenset(
    {"blog.index", "blog.detail", "blog.author", "blog.tag", "blog.feed", "blog.author_feed",
     "blog.tag_feed", "blog.sitemap", "blog.sitemap_part"}
)  # fmt: skip
DEFAULT_ARGS = {"page": "1"}
MAX_KEY_PART = 200


def page_key(app: Flask, req: Request, memory: PageMemory) -> Found | None:
    """Return (key, generations, canonical) for this request, or None if not cacheable."""
    endpoint = req.endpoint or ""
    if endpoint not in PAGES:
        return None
    environ, view = req.environ, req.view_args or {}
    query, host = environ.get("QUERY_STRING", ""), environ.get("HTTP_HOST")
    # All the key is made of (its origin: SITE_URL, or the scheme and Host): a hit reuses it.
    ident = (
        endpoint, query, app.config.get("SITE_URL"), environ.get("wsgi.url_scheme"), host,
        *view.items(),
    )  # fmt: skip
    found = memory.keys.get(ident)
    if found is None:
        found = compute_key(endpoint, req, view)
        if found is not None and host is not None and len(query) <= MAX_KEY_PART:
            memory.keys.put(ident, found)
    return found


def compute_key(endpoint: str, req: Request, view: dict[str, Any]) -> Found | None:
    """Return what ``page_key`` returns, from the request's arguments."""
    known, deps = PAGES[endpoint]
    args: dict[str, str] = {}
    query = req.args if req.environ.get("QUERY_STRING") else MultiDict[str, str]()
    for name in known if query else ():
        values = query.getlist(name)
        if len(values) > 1:
            return None
        if values:
            raw = values[0]
            if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
                return None  # the view answers 400/404, which is never cached
            args[name] = str(int(raw))
    if any(len(str(value)) > MAX_KEY_PART for value in view.values()):
        return None
    try:
        names = deps(view, args)
    except KeyError:
        return None  # a required parameter is missing: the view answers 400
    parts = [f"{k}={v}" for k, v in sorted(view.items())]
    parts += [f"{k}={v}" for k, v in sorted(args.items()) if DEFAULT_ARGS.get(k) != v]
    # Unknown parameters share the key; but their page (its login link carries the full
    # path) is only stored from a request that has none.
    canonical = not query or set(query) <= set(known)
    key = f"page:{endpoint}:" + "&".join(parts)
    origin = origin_key() if endpoint in ABSOLUTE_URL_PAGES else ""
    if origin:
        if len(origin) > MAX_KEY_PART:
            return None
        key += "@" + origin
    return key, (ALL, *names), canonical


def host_keyed() -> bool:
    """Return whether this page's key carries the scheme and host (see ABSOLUTE_URL_PAGES)."""
    return request.endpoint in ABSOLUTE_URL_PAGES and bool(origin_key())
