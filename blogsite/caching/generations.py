"""Generation-keyed cached values: one round trip per hit, one computation per miss.

A value is stored with the generations it was built from (read *before* the query ran)
and counts only while they are still current. A commit gives the generations it touched
new random values, so a reader that fetched old rows and stores them late stores them
under generations nobody holds any more.

Time is the one thing that changes without a write: a scheduled blog appears when its
``publish_at`` passes. A computation that reads the schedule calls ``expires_at(when)``
with the next publication it did not show; the value (and every value or page built on it,
in any worker) then carries ``until`` and stops counting at that moment, so no cached
listing outlives the next publication and nothing has to be bumped when it comes.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar, cast

from flask import current_app, g, has_app_context, has_request_context

from ..metrics import record_cache
from .breaker import CircuitBreaker
from .store import LocalStore, RedisStore

T = TypeVar("T")
EXTENSION = "blogsite_cache"
ALL = "all"
# The earliest expiry noted by the computation running in this context (innermost first).
_until: ContextVar[list[float] | None] = ContextVar("blogsite_cache_until", default=None)


def expires_at(when: datetime | float | None) -> None:
    """Note that what is being computed (and all built on it) goes stale at ``when``."""
    if when is None:
        return
    moment = when.timestamp() if isinstance(when, datetime) else float(when)
    frame = _until.get()
    if frame is not None:
        frame[0] = min(frame[0], moment)
    if has_request_context():  # the page cache stores the page with the earliest one
        g.cache_until = min(g.get("cache_until", math.inf), moment)


def computing(compute: Callable[[], T]) -> tuple[T, float | None]:
    """Run ``compute``; return its value and the expiry it noted (None: none)."""
    frame = [math.inf]
    token = _until.set(frame)
    try:
        value = compute()
    finally:
        _until.reset(token)
    until = None if frame[0] == math.inf else frame[0]
    expires_at(until)  # the enclosing computation inherits it
    return value, until


def still_valid(until: float | None) -> bool:
    """Return whether a value that expires at ``until`` may still be served."""
    return until is None or time.time() < until


class CacheState:
    """One app's cache machinery: the store, its circuit breaker and the settings."""

    def __init__(self, store: RedisStore | LocalStore, config: dict[str, Any]) -> None:
        self.store = store
        self.timeout = int(config["CACHE_DEFAULT_TIMEOUT"])
        self.generation_timeout = int(config["CACHE_GENERATION_TIMEOUT"])
        self.lock_seconds = float(config["CACHE_LOCK_SECONDS"])
        self.breaker = CircuitBreaker(config["CACHE_RETRY_SECONDS"], self._recover)

    def _recover(self) -> None:
        self.store.ping()
        self.store.bump([gen_key(ALL)], self.generation_timeout)

    def read(self, deps: Sequence[str], key: str | None) -> tuple[tuple[str, ...], Any] | None:
        """Return the current generations of ``deps`` and the entry at ``key``; None when down."""
        gen_keys = [gen_key(dep) for dep in deps]

        def fetch() -> tuple[tuple[str, ...], Any]:
            gens, entry = self.store.read(gen_keys, key)
            if None in gens:
                # A generation nobody has set yet (or one evicted): set it, and miss. It
                # lives as long as a value: a flood of unknown slugs cannot pile up keys.
                pairs = list(zip(gen_keys, gens, strict=True))
                missing = [k for k, gen in pairs if gen is None]
                tokens = self.store.init_generations(missing, self.timeout)
                fresh = dict(zip(missing, tokens, strict=True))
                return tuple(gen or fresh[k] for k, gen in pairs), None
            return tuple(gens), entry  # type: ignore[arg-type]

        return self.breaker.call(fetch, None)

    def write(
        self,
        key: str,
        gens: tuple[str, ...],
        value: Any,
        unlock: str | None,
        until: float | None = None,
    ) -> None:
        """Store ``value`` tagged with the generations read before it was computed."""
        entry = {"g": gens, "v": value, "u": until}
        self.breaker.call(lambda: self.store.write(key, entry, self.timeout, unlock), None)

    def bump(self, deps: Iterable[str]) -> bool:
        """Invalidate everything built on ``deps``; return whether the store took it."""
        names = set(deps)
        if ALL in names:
            names = {ALL}  # everything depends on it; the others would be wasted work
        if not names:
            return True
        keys = sorted(gen_key(name) for name in names)

        def bump() -> bool:
            self.store.bump(keys, self.generation_timeout)
            return True

        return self.breaker.call(bump, False)

    def count(self, hit: bool, cache: str = "query") -> None:
        """Count a hit or miss for the admin's totals (Redis) and for ``/metrics``."""
        if cache != "session":  # the admin's totals are the site's content, not log-ins
            self.store.counters.add(hit)
        record_cache(cache, hit)

    def get_or_compute(
        self,
        key: str,
        deps: Sequence[str],
        compute: Callable[[], T],
        cache: str = "query",
        keep: Callable[[tuple[str, ...], T, float | None], None] | None = None,
    ) -> T:
        """Return the cached value at ``key``, computing it at most once across waiters.

        ``keep(gens, value, until)`` is told of a value current for ``gens`` (a worker's copy).
        """
        got = self.read(deps, key)
        if got is None:
            return compute()  # cache down: straight to the database, no waiting
        gens, entry = got
        if is_current(entry, gens):
            self.count(True, cache)
            return cast(T, served(entry, gens, keep))
        self.count(False, cache)
        name = "lock:" + key
        lock: str | None = name
        deadline = time.monotonic() + self.lock_seconds
        delay = 0.005
        while not self.breaker.call(lambda: self.store.lock(name, self.lock_seconds), False):
            if not self.breaker.is_closed or time.monotonic() > deadline:
                lock = None  # waited long enough: compute without it
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)
            got = self.read(deps, key)
            if got is None:
                return compute()
            gens, entry = got
            if is_current(entry, gens):
                return cast(T, served(entry, gens, keep))
        value, until = self._compute_and_store(key, gens, compute, lock)
        if keep is not None:
            keep(gens, value, until)
        return value

    def _compute_and_store(
        self, key: str, gens: tuple[str, ...], compute: Callable[[], T], lock: str | None
    ) -> tuple[T, float | None]:
        try:
            value, until = computing(compute)
        except BaseException:
            if lock is not None:
                self.breaker.call(lambda: self.store.unlock(lock), None)
            raise
        self.write(key, gens, value, lock, until)
        return value, until


def served(
    entry: dict[str, Any],
    gens: tuple[str, ...],
    keep: Callable[[tuple[str, ...], Any, float | None], None] | None,
) -> Any:
    """Return a current entry's value, passing its expiry on to what is built on it."""
    until = entry.get("u")
    expires_at(until)
    if keep is not None:
        keep(gens, entry["v"], until)
    return entry["v"]


def gen_key(dep: str) -> str:
    return "gen:" + dep


def is_current(entry: Any, gens: tuple[str, ...]) -> bool:
    """Return whether a stored entry was built from exactly these generations, and is due."""
    return isinstance(entry, dict) and entry.get("g") == gens and still_valid(entry.get("u"))


def current_state() -> CacheState | None:
    """Return the app's cache state, or None when caching is off or there is no app."""
    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)


def record_deps(deps: Iterable[str]) -> None:
    """Note what the current request's page was built from (the page cache checks it)."""
    if has_request_context():
        g.setdefault("cache_deps", set()).update(deps)


def mark_private() -> None:
    """Mark the current request's page as never cacheable (it read something personal)."""
    if has_request_context():
        g.page_private = True


def cached(deps: Callable[..., Iterable[str]]) -> Callable[[Callable[..., T]], Any]:
    """Cache a read of plain data under the generations ``deps(*args)`` names (plus ``all``).

    The wrapped function takes positional ints and strings only. ``f.invalidate(*args)``
    bumps that entry's generations; ``f.invalidate()`` bumps ``all``.
    """

    def decorate(fn: Callable[..., T]) -> Any:
        prefix = f"q:{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"

        @functools.wraps(fn)
        def wrapper(*args: Any) -> T:
            names = (ALL, *deps(*args))
            record_deps(names)
            state = current_state()
            if state is None:
                return fn(*args)
            key = ":".join([prefix, *map(str, args)])
            # Through the worker's copy, like fragments: a hit checked by the watcher costs
            # no round trip. (fragments.py builds on this module, hence the late import.)
            from .fragments import remembered

            found: T = remembered(key, names[1:], lambda: fn(*args), "query", rough_size)
            return found

        def invalidate(*args: Any) -> None:
            state = current_state()
            if state is not None:
                state.bump(deps(*args) if args else [ALL])

        wrapper.invalidate = invalidate  # type: ignore[attr-defined]
        wrapper.uncached = fn  # type: ignore[attr-defined]
        return wrapper

    return decorate


def rough_size(value: Any) -> int:
    """Return about how many bytes a cached read holds (the worker's copy is bounded by it)."""
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        value = value["items"]  # a listing page: its rows are the bulk
    if isinstance(value, list):
        return 256 + sum(rough_size(row) if isinstance(row, dict) else 64 for row in value)
    if isinstance(value, dict):
        return 2048 + len(str(value.get("content", "")))
    return 256


def never_cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Run ``fn`` every time and keep the page that used it out of the page cache."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        mark_private()
        return fn(*args, **kwargs)

    return wrapper
