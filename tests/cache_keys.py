"""Redis helpers for tests: every test has its own key prefix and deletes only those keys."""

from __future__ import annotations

import os

import redis


def prefix_keys(client: redis.Redis, prefix: str) -> list[bytes]:
    """Return every key under ``prefix``."""
    pattern = "".join("\\" + ch if ch in "*?[]\\" else ch for ch in prefix) + "*"
    return list(client.scan_iter(match=pattern, count=1000))


def delete_prefix(prefix: str) -> None:
    """Delete the keys under ``prefix`` in the Redis at REDIS_URL (never FLUSHDB)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        keys = prefix_keys(client, prefix)
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # no Redis here: nothing was written to it
