"""A worker's own copies for the page cache: hot pages, and the keys requests map to.

Both are per process and bounded; a page copy is trusted only while its generations are
current (``pages.serve`` checks them), a key is a pure function of the request.
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache

from .generations import still_valid

# A page kept in a worker's memory: (generations, etag, body, content type, expiry or None).
Page = tuple[Any, str, bytes, str, float | None]
# What ``page_keys.page_key`` finds for a request: (key, generations, canonical).
Found = tuple[str, tuple[str, ...], bool]
MAX_KEYS = 4096  # keys a worker remembers (each entry well under 1 KB)


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
    """Page keys by what they are made of (endpoint, query, origin, view arguments)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[Any, ...], Found] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, ident: tuple[Any, ...]) -> Found | None:
        return self._keys.get(ident)

    def put(self, ident: tuple[Any, ...], found: Found) -> None:
        # A flood of unknown slugs must not grow it without bound: start again when full.
        if len(self._keys) >= MAX_KEYS:
            self._keys.clear()
        self._keys[ident] = found
