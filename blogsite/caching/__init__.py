"""Caching that is never stale: generation-keyed reads and pages, calm when Redis dies.

``from blogsite import caching; caching.init_app(app)`` binds it. Reads use
``@cached(deps=...)`` (see ``blog/queries.py``); writes invalidate themselves through
session events; the page cache serves anonymous visitors. DESIGN.md, "Caching:
generations, not deletes", explains why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from ..domain import publishing
from ..extensions import db
from ..models import Blog, utcnow
from . import backend, fragments, invalidation, pages, shells
from .breaker import BACKEND_ERRORS
from .commands import cache_cli
from .fragments import fragment, remembered, render_shared
from .generations import (
    ALL,
    EXTENSION,
    CacheState,
    cached,
    current_state,
    expires_at,
    never_cached,
)
from .pages import cached_page
from .shells import fill, render_shell, shared_page
from .store import LocalStore

__all__ = [
    "cache_health",
    "cache_status",
    "cached",
    "cached_page",
    "expires_at",
    "fill",
    "fragment",
    "init_app",
    "invalidate_all",
    "invalidate_author",
    "is_on",
    "never_cached",
    "reading_now",
    "remembered",
    "render_shared",
    "render_shell",
    "shared_page",
]


def reading_now() -> datetime:
    """Return the time a read shows the site at; what is cached from it expires at the next
    scheduled publication after it (so a scheduled blog appears with no write)."""
    now = utcnow()
    if current_state() is not None:  # caching off keeps nothing: no expiry to find
        expires_at(publishing.next_publication(now))
    return now


def init_app(app: Flask) -> None:
    """Bind the backend, the page cache, the invalidation listeners and ``flask cache``."""
    store = backend.bind(app)
    if store is not None:
        app.extensions[EXTENSION] = CacheState(store, app.config | _timeouts(app, store))
        pages.init_app(app)
        fragments.init_app(app)
    fragments.init_cards(app)
    shells.init_app(app)
    invalidation.listen()
    app.cli.add_command(cache_cli)


def _timeouts(app: Flask, store: Any) -> dict[str, Any]:
    if isinstance(store, LocalStore):
        return {"CACHE_DEFAULT_TIMEOUT": app.config["CACHE_LOCAL_TIMEOUT"]}
    return {}


def is_on() -> bool:
    """Return whether this app caches (with caching off, every read is already fresh)."""
    return current_state() is not None


def invalidate_author(author_id: int) -> None:
    """Invalidate everything cached about one author: their page, their blogs' pages, reads."""
    state = current_state()
    if state is not None:
        slugs = db.session.scalars(select(Blog.slug).where(Blog.author_id == int(author_id)))
        state.bump([f"author:{int(author_id)}", *(f"blog:{slug}" for slug in slugs)])


def invalidate_all() -> None:
    """Invalidate everything cached (by generation: nothing is deleted)."""
    state = current_state()
    if state is not None:
        state.bump([ALL])


def cache_health() -> dict[str, Any]:
    """Return the cache's state for ``/readyz``: one ping at most, never a key scan."""
    state: CacheState | None = current_state()
    if state is None:
        return {"status": "off", "backend": backend.backend_name(current_app)}
    health: dict[str, Any] = {
        "backend": backend.backend_name(current_app),
        "breaker": state.breaker.state,
    }
    if isinstance(state.store, LocalStore):
        return health | {"status": "local", "detail": "in-process cache: REDIS_URL is not set"}
    # One ping through the breaker; while it is open the probe is the trial (recovery
    # included), so readiness says "ok" as soon as Redis is back, not a retry interval later.
    reachable = state.breaker.probe(lambda: _ping(state.store), False)
    return health | {"status": "ok" if reachable else "degraded", "breaker": state.breaker.state}


def _ping(store: Any) -> bool:
    store.ping()
    return True


def cache_status() -> dict[str, Any]:
    """Return backend, reachable, breaker, hits, misses, keys and memory (admin, metrics)."""
    state: CacheState | None = current_state()
    status: dict[str, Any] = {
        "backend": backend.backend_name(current_app),
        "reachable": False,
        "breaker": "closed",
        "hits": 0,
        "misses": 0,
        "keys": 0,
        "memory": None,
    }
    if state is None:
        return status
    status["breaker"] = state.breaker.state
    if not state.breaker.is_closed:
        return status  # known down: do not wait on a timeout
    try:
        state.store.ping()
        status |= state.store.stats()
        status["reachable"] = True
    except BACKEND_ERRORS as error:
        state.breaker.trip(error)
        status["breaker"] = state.breaker.state
    return status
