"""Redis helpers for tests: every test has its own key prefix and deletes only those keys."""

from __future__ import annotations

from typing import Any

import redis

from blogsite.caching.generations import EXTENSION
from blogsite.caching.store import RedisStore


def prefix_keys(client: redis.Redis, prefix: str) -> list[bytes]:
    """Return every key under ``prefix``."""
    pattern = "".join("\\" + ch if ch in "*?[]\\" else ch for ch in prefix) + "*"
    return list(client.scan_iter(match=pattern, count=1000))


def delete_cache_keys(app: Any) -> None:
    """Delete the keys this test's app wrote under its own prefix (never FLUSHDB)."""
    state = app.extensions.get(EXTENSION)
    if state is None or not isinstance(state.store, RedisStore):
        return
    try:
        client = state.store.client
        keys = prefix_keys(client, state.store.prefix)
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # a test that stopped its own Redis has nothing left to clean
