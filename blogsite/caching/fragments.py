"""Rendered fragments and other shared values, kept in Redis and in each worker's memory.

A page that is personal (a logged-in reader's) or must run every time (it logs) assembles
fragments that are the same for everyone: the cards of a listing, a blog's body. Each is
cached under the generations of what it shows, like a query (``generations.py``): a write
bumps them, and every worker misses on its next request. A worker keeps a bounded copy of
hot values and trusts it while the generations it was built from are still current; with
the watcher (``watcher.py``) checking that costs no round trip.

Fragments are rendered without the request's personal context: ``current_user``,
``csrf_token``, ``session``, ``g``, ``request`` and flashed messages raise inside them, so a
template change cannot store one reader's name or token where another reader gets it.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar, cast

from cachetools import LRUCache
from flask import Flask, current_app, request
from markupsafe import Markup

from .generations import ALL, CacheState, current_state, expires_at, record_deps, still_valid

T = TypeVar("T")
MEMO = "blogsite_fragment_memory"


class PersonalInFragmentError(RuntimeError):
    """A fragment's template reached for something that belongs to one reader."""


class Personal:
    """Stands in for a per-reader template name while a shared fragment renders."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PersonalInFragmentError(f"a shared fragment used {self._name}")

    __getattr__ = __call__ = __bool__ = __str__ = __html__ = __iter__ = _refuse


PERSONAL = (
    "current_user", "csrf_token", "session", "g", "request", "get_flashed_messages",
    "own_author_id", "personal",
)  # fmt: skip


class Memo:
    """A bounded per-process copy of shared values, each with the generations it came from."""

    def __init__(self, max_bytes: int) -> None:
        self._values: LRUCache[str, tuple[tuple[str, ...], Any, int, float | None]] = LRUCache(
            max_bytes, getsizeof=lambda entry: entry[2]
        )
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[tuple[str, ...], Any, float | None] | None:
        """Return (generations, value, expiry) of a copy that has not expired, or None."""
        with self._lock:
            entry = self._values.get(key)
        if entry is None or not still_valid(entry[3]):
            return None
        return entry[0], entry[1], entry[3]

    def held(self) -> list[str]:
        """Return the keys held now (for tests and inspection)."""
        with self._lock:
            return list(self._values.keys())

    def put(
        self, key: str, gens: tuple[str, ...], value: Any, size: int, until: float | None = None
    ) -> None:
        if size <= self._values.maxsize // 8:  # one huge value must not evict the rest
            with self._lock:
                self._values[key] = (gens, value, size, until)


def remembered(
    key: str,
    deps: Sequence[str],
    compute: Callable[[], T],
    cache: str = "fragment",
    size: Callable[[T], int] = lambda value: 512,
) -> T:
    """Return the shared value at ``key`` (built from ``deps`` and ``all``), computing it once."""
    names = (ALL, *deps)
    record_deps(names)
    state: CacheState | None = current_state()
    if state is None:
        return compute()
    memo: Memo = current_app.extensions[MEMO]
    local = memo.get(key)
    if local is not None:
        got = state.read(names, None)  # no round trip while the watcher knows them
        if got is None:
            return compute()  # cache down: straight to the database
        if got[0] == local[0]:
            state.count(True, cache)
            expires_at(local[2])
            return cast(T, local[1])

    def keep(gens: tuple[str, ...], value: T, until: float | None) -> None:
        memo.put(key, gens, value, size(value), until)

    return state.get_or_compute(key, names, compute, cache, keep)


def render_shared(template: str, **context: Any) -> Markup:
    """Render ``template`` with ``context`` only: nothing personal can reach it."""
    refused = {name: Personal(name) for name in PERSONAL}
    return Markup(current_app.jinja_env.get_template(template).render(refused | context))


CARDS = "blogsite_shared_macros"
CARD_ENTRIES = 4096  # a card is ~1 KB: a few MB per worker at most


def frozen(value: Any) -> bytes:
    """Return ``value`` (plain data: dicts, lists, scalars) as a hashable key."""
    # One C call instead of a recursive walk in Python (about 200 calls per listing page).
    # Equal data built by the same code pickles to the same bytes; different data (or the
    # same keys in another order) to different bytes: at worst a card is rendered again.
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def shared_macro(template: str, name: str, value: Any) -> Markup:
    """Return macro ``name`` of ``template`` called with ``value``, remembered by its input.

    A listing's card depends on nothing but the blog's plain data (and the mount point of
    its links): the same data renders the same card, so cards are kept per process, keyed
    by their data. After a write, or with caching off, only the cards whose data changed
    render again. The macro runs without the reader's context, like ``render_shared``.
    """
    cards: tuple[LRUCache[Any, Markup], dict[str, Any], threading.Lock]
    cards = current_app.extensions[CARDS]
    key = (template, name, request.script_root, frozen(value))
    with cards[2]:
        html = cards[0].get(key)
    if html is None:
        module = cards[1].get(template)
        if module is None:
            refused = {n: Personal(n) for n in PERSONAL}
            module = current_app.jinja_env.get_template(template).make_module(refused)
            cards[1][template] = module
        html = Markup(getattr(module, name)(value))
        with cards[2]:
            cards[0][key] = html
    return html


def fragment(name: str, deps: Sequence[str], render: Callable[[], str | None]) -> Markup | None:
    """Return the cached fragment ``name`` (None when ``render`` said there is none)."""
    # URLs in a fragment are relative to the mount point: a different one, another key.
    key = f"frag:{request.script_root}:{name}"
    html = remembered(key, deps, render, "fragment", lambda value: len(value or "") + 256)
    if html is None:
        return None
    # The worker's copy is already Markup: the same object each hit (no copy of 200 KB).
    return html if isinstance(html, Markup) else Markup(html)


# Where a page rendered around a large fragment takes it (escaped text cannot contain it).
SLOT = Markup("<!--blogsite:fragment-->")
_ENCODED: dict[int, tuple[str, bytes]] = {}
_ENCODED_LOCK = threading.Lock()


def encoded(html: str) -> bytes:
    """Return ``html`` in UTF-8, encoded once per fragment object (the worker's copy)."""
    with _ENCODED_LOCK:
        hit = _ENCODED.get(id(html))
    if hit is not None and hit[0] is html:
        return hit[1]
    data = html.encode()
    with _ENCODED_LOCK:
        if len(_ENCODED) >= 32:
            _ENCODED.clear()  # a few hot fragments at a time; the rest encode again
        _ENCODED[id(html)] = (html, data)  # holding html keeps its id from being reused
    return data


def assembled(page: str, html: str) -> bytes:
    """Return ``page`` in UTF-8 with ``html`` in place of its SLOT (for pages never cached)."""
    head, tail = page.split(SLOT, 1)
    return b"".join((head.encode(), encoded(html), tail.encode()))


def init_app(app: Flask) -> None:
    """Keep a per-process copy of hot fragments, as large as the copy of hot pages."""
    app.extensions[MEMO] = Memo(int(app.config["CACHE_PAGE_MEMORY_BYTES"]))


def init_cards(app: Flask) -> None:
    """Offer ``shared_macro`` to templates, with or without a cache (caching off included)."""
    app.extensions[CARDS] = (LRUCache(CARD_ENTRIES), {}, threading.Lock())
    app.jinja_env.globals["shared_macro"] = shared_macro
