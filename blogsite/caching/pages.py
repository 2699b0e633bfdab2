"""Whole-page cache for anonymous GET/HEAD of the public pages.

Flow: ``@cached_page`` wraps a view beneath its throttles (so a hit still counts against
them) and after every ``before_request`` hook; it answers a hit from the worker's copy
(no round trip while the watcher vouches for its generations) or from Redis in one round
trip; otherwise the view runs and ``store`` (an ``after_request`` hook that the pipeline
runs after every other one but the access log) keeps the page if nothing personal can be
in it. ``g.cache_outcome`` says HIT, MISS or BYPASS for the access log.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, current_app, g, request, session
from flask import Response as FlaskResponse
from flask.globals import app_ctx, request_ctx
from flask.sessions import SessionMixin
from werkzeug.http import quote_etag
from werkzeug.wrappers import Response

from ..site_url import uses_request_host
from ..users import loaded_account
from .generations import EXTENSION, CacheState, is_current
from .page_keys import host_keyed, page_key
from .page_memory import Page, PageMemory

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

MEMORY = "blogsite_page_memory"
logger = logging.getLogger("blogsite.caching")


def is_anonymous_request(app: Flask, req: Request, session: SessionMixin) -> bool:
    """Return whether nothing identifies a user: no session user, remember cookie or auth."""
    environ = req.environ
    if "HTTP_AUTHORIZATION" in environ:
        return False
    if "HTTP_COOKIE" in environ and (
        app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in req.cookies
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
    # The objects behind flask's proxies, looked up once: a proxy look-up costs more than
    # most lines here, and a hit is made of little else.
    app, req = app_ctx.app, request_ctx.request
    state: CacheState | None = app.extensions.get(EXTENSION)
    if state is None or req.method not in ("GET", "HEAD"):
        return None
    memory: PageMemory = app.extensions[MEMORY]
    found = page_key(app, req, memory)
    if found is None:
        return None
    app_g, session = app_ctx.g, request_ctx.session
    if not is_anonymous_request(app, req, session):
        app_g.page_cache = {"private": True}
        return None
    key, deps, canonical = found
    page = memory.get(key)
    got = state.read(deps, None if page else key)
    if got is not None and page is not None and page[0] != got[0]:
        got = state.read(deps, key)  # our copy is outdated; another worker may have a newer one
        page = None
    if got is None or page is None:
        app_g.page_cache = {
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
        app_g.page_cache["hit"] = True  # a response that replaces this one is not stored
    state.count(True, "page")
    app_g.cache_outcome = "HIT"
    return CachedPage(page, req.environ)


class CachedPage(FlaskResponse):
    """A hit: the page alone, until ``store`` adds its cache headers (after the security
    headers, whose look-ups compare every header already set)."""

    def __init__(self, page: Page, environ: WSGIEnvironment) -> None:
        _, self.page_etag, body, content_type, _ = page
        super().__init__(body, content_type=content_type)
        self.request_environ = environ

    def finish(self) -> Response:
        """Add the cache headers; answer a matching If-None-Match with 304."""
        # Added, not set: nothing but this module gives this response any of them, and
        # each set would compare every header before it again.
        headers = self.headers
        headers.add("X-Cache", "HIT")
        headers.add("Cache-Control", "no-cache")  # browsers revalidate: never stale
        headers.add("ETag", quote_etag(self.page_etag))
        if "HTTP_IF_NONE_MATCH" not in self.request_environ:
            return self
        return self.make_conditional(self.request_environ)


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
    if isinstance(response, CachedPage):
        return response.finish()  # a hit (not an error page that replaced it)
    ticket = g.get("page_cache")
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
