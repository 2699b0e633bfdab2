"""Whole-page cache for anonymous GET/HEAD of the public pages.

Flow: ``@cached_page`` wraps a view beneath its throttles (so a hit still counts against
them) and after every ``before_request`` hook; it answers a hit from Redis with one round
trip; otherwise the view runs and ``store`` (an ``after_request`` hook that the pipeline
runs after every other one but the access log) keeps the page if nothing personal can be
in it. ``g.cache_outcome`` says HIT, MISS or BYPASS for the access log.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import threading
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from flask import Flask, current_app, g, request, session
from werkzeug.http import quote_etag
from werkzeug.wrappers import Response

from ..site_url import origin_key, uses_request_host
from ..users import loaded_account
from .generations import ALL, EXTENSION, CacheState, is_current, still_valid

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
MEMORY = "blogsite_page_memory"
logger = logging.getLogger("blogsite.caching")
MAX_KEY_PART = 200
MAX_KEYS = 4096  # page_key's answers a worker keeps (each well under 1 KB)


# A page kept in a worker's memory: (generations, etag, body, content type, expiry or None).
Page = tuple[Any, str, bytes, str, float | None]


class PageMemory:
    """A bounded per-process copy of hot pages, trusted only when its generations match."""

    def __init__(self, max_bytes: int, max_item: int) -> None:
        self._pages: LRUCache[str, Page] = LRUCache(max_bytes, getsizeof=lambda e: len(e[2]) + 256)
        self._max_item = max_item
        self._lock = threading.Lock()
        self.keys = KeyMemo()

    def get(self, key: str) -> Page | None:
        """Return the copy of a page that has not expired (a scheduled blog came out), or None."""
        with self._lock:
            page = self._pages.get(key)
        return page if page is not None and still_valid(page[4]) else None

    def put(self, key: str, entry: Page) -> None:
        # LRUCache refuses (ValueError) an entry larger than all of it: 0 bytes keeps none.
        if len(entry[2]) <= self._max_item and self._pages.getsizeof(entry) <= self._pages.maxsize:
            with self._lock:
                self._pages[key] = entry


class KeyMemo:
    """``page_key``'s answers by request (endpoint, query, origin, view arguments), bounded."""

    def __init__(self) -> None:
        self._keys: dict[tuple[Any, ...], tuple[str, tuple[str, ...], bool]] = {}

    def get(self, ident: tuple[Any, ...]) -> tuple[str, tuple[str, ...], bool] | None:
        return self._keys.get(ident)

    def put(self, ident: tuple[Any, ...], found: tuple[str, tuple[str, ...], bool]) -> None:
        # A flood of unknown slugs must not grow it without bound: start again when full.
        if len(self._keys) >= MAX_KEYS:
            self._keys.clear()
        self._keys[ident] = found


def page_key() -> tuple[str, tuple[str, ...], bool] | None:
    """Return (key, generations, canonical) for this request, or None if not cacheable."""
    endpoint = request.endpoint or ""
    if endpoint not in PAGES:
        return None
    origin = origin_key() if endpoint in ABSOLUTE_URL_PAGES else ""
    view = request.view_args or {}
    query = request.environ.get("QUERY_STRING", "")
    # The answer depends on nothing else: a hit reuses it (it costs more than the rest).
    ident = (endpoint, query, origin, *view.items())
    keys: KeyMemo = current_app.extensions[MEMORY].keys
    found = keys.get(ident)
    if found is None:
        found = compute_key(endpoint, view, origin, bool(query))
        if found is not None and len(query) <= MAX_KEY_PART:
            keys.put(ident, found)
    return found


def compute_key(
    endpoint: str, view: dict[str, Any], origin: str, has_query: bool
) -> tuple[str, tuple[str, ...], bool] | None:
    """Return what ``page_key`` returns, from the request's arguments."""
    known, deps = PAGES[endpoint]
    args: dict[str, str] = {}
    query = request.args if has_query else None
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
    if origin:
        if len(origin) > MAX_KEY_PART:
            return None
        key += "@" + origin
    return key, (ALL, *names), canonical


def host_keyed() -> bool:
    """Return whether this page's key carries the scheme and host (see ABSOLUTE_URL_PAGES)."""
    return request.endpoint in ABSOLUTE_URL_PAGES and bool(origin_key())


def is_anonymous_request() -> bool:
    """Return whether nothing identifies a user: no session user, remember cookie or auth."""
    environ = request.environ
    if "HTTP_AUTHORIZATION" in environ:
        return False
    if "HTTP_COOKIE" in environ and (
        current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    ):
        return False
    # A pending flashed message must be shown to this visitor, not skipped by a hit.
    return session.get("_user_id") is None and "_flashes" not in session


def cached_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer the view from the page cache when it can; put it beneath any throttle."""

    @functools.wraps(view)
    def page_cached_view(*args: Any, **kwargs: Any) -> Any:
        hit = serve()
        return hit if hit is not None else view(*args, **kwargs)

    return page_cached_view


def serve() -> Response | None:
    """Answer an anonymous GET/HEAD of a cacheable page from the cache (or note the miss)."""
    extensions = current_app.extensions
    state: CacheState | None = extensions.get(EXTENSION)
    if state is None or request.method not in ("GET", "HEAD"):
        return None
    found = page_key()
    if found is None:
        return None
    if not is_anonymous_request():
        g.page_cache = {"private": True}
        return None
    key, deps, canonical = found
    memory: PageMemory = extensions[MEMORY]
    local = memory.get(key)
    got = state.read(deps, None if local else key)
    if got is not None and local is not None and local[0] != got[0]:
        got = state.read(deps, key)  # our copy is outdated; another worker may have a newer one
        local = None
    if got is None or local is None:
        return miss_or_stored(state, memory, key, deps, canonical, got)
    g.cache_outcome = "HIT"
    state.count(True, "page")
    return answer(local)


def miss_or_stored(
    state: CacheState,
    memory: PageMemory,
    key: str,
    deps: tuple[str, ...],
    canonical: bool,
    got: tuple[tuple[str, ...], Any] | None,
) -> Response | None:
    """Answer from the shared copy when it is current, else note the miss for ``store``."""
    g.page_cache = {
        "key": key,
        "deps": deps,
        "gens": None if got is None else got[0],  # None: cache down, store nothing
        "canonical": canonical,
        "empty_session": not session,
        "hit": False,
    }
    if got is None:
        return None
    gens, entry = got
    if not is_current(entry, gens):
        state.count(False, "page")
        return None
    page = (gens, *entry["v"], entry.get("u"))
    memory.put(key, page)
    g.cache_outcome = "HIT"
    state.count(True, "page")
    return answer(page)


def answer(page: Page) -> Response:
    """Return a hit: the page alone; ``store`` adds its cache headers (and answers 304)."""
    _, etag, body, content_type, _ = page
    response: Response = current_app.response_class(body, content_type=content_type)
    g.page_cache = {"hit": True, "response": response, "etag": etag}
    return response


def finish_hit(response: Response, etag: str) -> Response:
    """Add a hit's cache headers, after the security headers' look-ups of every header."""
    # Added, not set: nothing but this module gives this response any of them, and each
    # set would check every header before it again (the hit's cost is mostly headers).
    headers = response.headers
    headers.add("X-Cache", "HIT")
    headers.add("Cache-Control", "no-cache")  # browsers revalidate: never stale
    headers.add("ETag", quote_etag(etag))
    if "HTTP_IF_NONE_MATCH" not in request.environ:
        return response
    return response.make_conditional(request.environ)


def finish(response: Response, etag: str, status: str) -> Response:
    """Add the cache headers and answer If-None-Match with 304."""
    response.headers["X-Cache"] = status
    response.headers["Cache-Control"] = "no-cache"  # browsers revalidate: never stale
    response.set_etag(etag)
    if "HTTP_IF_NONE_MATCH" not in request.environ:
        return response
    return response.make_conditional(request.environ)


def is_public(response: Response, ticket: dict[str, Any]) -> bool:
    """Return whether nothing in ``response`` can belong to one visitor."""
    return not (
        response.status_code != 200
        or response.is_streamed
        or response.direct_passthrough
        or "Set-Cookie" in response.headers
        or session.modified
        or not ticket["empty_session"]  # a session (even without a user) may feed the page
        or loaded_account() is not None
        or g.get("page_private")
    )


def store(response: Response) -> Response:
    """Keep the finished page if it is the same for every anonymous visitor (after_request)."""
    ticket = g.get("page_cache")
    if ticket is not None and ticket.get("response") is response:
        return finish_hit(response, ticket["etag"])  # not a page an error replaced
    state: CacheState | None = current_app.extensions.get(EXTENSION)
    if ticket is None or state is None or ticket.get("private") or ticket["hit"]:
        if ticket is not None and ticket.get("private"):
            # This visitor's copy of a public page: no cache, shared or the browser's, keeps it.
            response.headers.setdefault("Cache-Control", "no-store")
        g.setdefault("cache_outcome", "BYPASS")
        return response
    g.cache_outcome = "MISS"
    response.headers["X-Cache"] = "MISS"
    if not is_public(response, ticket):
        return response
    body = response.get_data()
    etag = hashlib.blake2b(body, digest_size=16).hexdigest()
    if ticket["gens"] is not None and ticket["canonical"]:
        used = g.get("cache_deps", set())
        if uses_request_host() and not host_keyed():
            # URLs from this request's Host under a key every host shares: mark it in
            # ABSOLUTE_URL_PAGES, never serve it to others.
            logger.error("Not caching %s: it holds URLs from the Host", request.endpoint)
        elif used <= set(ticket["deps"]):
            content_type = response.headers.get("Content-Type", "text/html; charset=utf-8")
            # The page goes stale when the first thing it was built from does (a scheduled
            # blog it could not show yet comes out).
            until = g.get("cache_until", math.inf)
            expiry = None if until == math.inf else until
            state.write(ticket["key"], ticket["gens"], (etag, body, content_type), None, expiry)
            current_app.extensions[MEMORY].put(
                ticket["key"], (ticket["gens"], etag, body, content_type, expiry)
            )
        else:
            # A view read data its key does not cover: a bug to fix in PAGES, never stale.
            logger.error("Not caching %s: it read %s", request.endpoint, sorted(used))
    return finish(response, etag, "MISS")


def init_app(app: Flask) -> None:
    """Keep a per-process copy of hot pages; the pipeline registers ``store``."""
    app.extensions[MEMORY] = PageMemory(
        int(app.config["CACHE_PAGE_MEMORY_BYTES"]), int(app.config["CACHE_PAGE_MEMORY_ITEM_BYTES"])
    )
