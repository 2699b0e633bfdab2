"""Settings of the services the site uses: Redis, and the cache on it."""

from __future__ import annotations

from dataclasses import dataclass

from .. import parsers as p
from .spec import setting


@dataclass(frozen=True)
class Services:
    """Redis and caching settings."""

    # Redis
    REDIS_URL: str | None = setting(
        None,
        "Redis for the cache (and the limiter, unless BLOGSITE_LIMITER_REDIS_URL is set); unset: "
        "in-process cache and limits, per worker.",
        env="REDIS_URL",
        example="redis://:PASSWORD@127.0.0.1:6379/0",
    )
    REDIS_SENTINELS: str | None = setting(
        None,
        "Sentinel instead of REDIS_URL: the Sentinels as host:port, comma-separated.",
        parse=p.optional(p.nodes),
        example="sentinel-1:26379,sentinel-2:26379,sentinel-3:26379",
    )
    REDIS_SENTINEL_MASTER: str = setting(
        "mymaster",
        "Name of the primary the Sentinels monitor (compose.ha.yaml: blogsite).",
        parse=p.not_empty,
    )
    REDIS_PASSWORD: str | None = setting(
        None, "Password of the Redis data nodes behind Sentinel or Cluster."
    )
    REDIS_SENTINEL_PASSWORD: str | None = setting(
        None, "Only if the Sentinels themselves require a password."
    )
    REDIS_CLUSTER: str | bool | None = setting(
        None,
        "Redis Cluster instead of REDIS_URL: the seed nodes as host:port, comma-separated (1: seed"
        " from REDIS_URL).",
        parse=p.optional(p.nodes_or_seed),
    )
    # Every Redis connection (cache, generation watcher, limiter): blogsite/redis_client.py.
    REDIS_SOCKET_TIMEOUT: float = setting(
        0.25, "Socket timeout of every Redis call, in seconds.", parse=p.number(0.01)
    )
    REDIS_CONNECT_TIMEOUT: float = setting(
        0.25, "Connect timeout of every Redis connection, in seconds.", parse=p.number(0.01)
    )
    REDIS_RETRIES: int = setting(
        1,
        "Immediate retries of a failed Redis call (one survives a connection dropped by a "
        "restart).",
        parse=p.whole(0),
    )
    # Caching
    CACHE_ENABLED: bool = setting(True, "0 switches all caching off (benchmarks, debugging).")
    CACHE_KEY_PREFIX: str = setting(
        "blogsite:",
        "Key prefix in Redis, so several sites can share one server.",
        parse=p.not_empty,
    )
    CACHE_DEFAULT_TIMEOUT: int = setting(
        3600,
        "Seconds a cached value lives at most (values are never stale; this only frees memory).",
        parse=p.whole(1),
    )
    CACHE_GENERATION_TIMEOUT: int = setting(
        7 * 24 * 3600, "Seconds a generation counter lives after its last bump.", parse=p.whole(1)
    )
    CACHE_LOCAL_TIMEOUT: int = setting(
        30,
        "Seconds a value lives in the in-process cache (no REDIS_URL): how long other workers may "
        "lag a write.",
        parse=p.whole(1),
    )
    CACHE_THRESHOLD: int = setting(
        500, "Most entries in the in-process cache (no REDIS_URL).", parse=p.whole(1)
    )
    CACHE_RETRY_SECONDS: float = setting(
        5.0,
        "When Redis fails the circuit breaker opens and tries Redis again after this many seconds.",
        parse=p.number(0),
    )
    CACHE_LOCK_SECONDS: float = setting(
        5.0,
        "How long one request may hold the lock that keeps a cold key from being computed by every"
        " waiting request.",
        parse=p.number(0.01),
    )
    CACHE_PAGE_MEMORY_BYTES: int = setting(
        8 * 1024 * 1024,
        "Per-worker memory for copies of hot pages, in bytes (0: none).",
        parse=p.whole(0),
    )
    CACHE_PAGE_MEMORY_ITEM_BYTES: int = setting(
        512 * 1024, "Largest page a worker keeps a copy of, in bytes.", parse=p.whole(0)
    )
    CACHE_WATCH_GENERATIONS: bool = setting(
        True,
        "Hot pages are checked against generations Redis pushes to each worker; 0 fetches them on "
        "every hit.",
    )
    CACHE_WATCH_TRUST_SECONDS: float = setting(
        1.0,
        "How long a worker trusts pushed generations without hearing from Redis (a hung Redis).",
        parse=p.number(0.01),
    )
