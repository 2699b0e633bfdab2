"""Choose and bind the cache backend: Redis, Sentinel, Cluster, in-process, or off."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cachelib.serializers import RedisSerializer
from flask import Flask
from flask_caching.backends import BaseCache, NullCache, RedisCache

from .. import redis_client
from ..extensions import cache
from .breaker import BACKEND_ERRORS
from .store import LocalStore, RedisStore
from .watcher import GenerationWatcher

logger = logging.getLogger("blogsite.caching")


def enabled(value: Any) -> bool:
    """Read CACHE_ENABLED: 0, false, no and off (any case) turn caching off."""
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def backend_config(config: dict[str, Any]) -> dict[str, Any]:
    """Return flask-caching's settings: our Redis client through its CACHE_TYPE factory hook."""
    if not enabled(config["CACHE_ENABLED"]):
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    if redis_client.mode(config) is None:
        return {
            "CACHE_TYPE": "SimpleCache",
            "CACHE_THRESHOLD": int(config["CACHE_THRESHOLD"]),
            "CACHE_DEFAULT_TIMEOUT": int(config["CACHE_LOCAL_TIMEOUT"]),
        }
    return {
        "CACHE_TYPE": f"{__name__}.redis_backend",
        "CACHE_KEY_PREFIX": config["CACHE_KEY_PREFIX"],
    }


def redis_backend(app: Flask, config: Any, args: Any, options: dict[str, Any]) -> BaseCache:
    """flask-caching's documented factory: its RedisCache on the shared client.

    A Redis Cluster client connects on creation; if the cluster is down at start-up,
    ``cache`` stays a NullCache and the generation cache connects when it can.
    """
    try:
        client = redis_client.shared(app)
    except BACKEND_ERRORS as error:
        logger.warning("Redis Cluster unreachable at start-up (%s); will retry.", error)
        return NullCache()
    timeout = options["default_timeout"]
    return RedisCache(host=client, key_prefix=config["CACHE_KEY_PREFIX"], default_timeout=timeout)


def backend_name(app: Flask) -> str:
    """Name the configured backend as flask-caching would: RedisSentinelCache, SimpleCache..."""
    names = {"cluster": "RedisClusterCache", "sentinel": "RedisSentinelCache", "url": "RedisCache"}
    if isinstance(cache.cache, RedisCache):
        return names[redis_client.mode(app.config) or "url"]
    return type(cache.cache).__name__


def bind(app: Flask) -> RedisStore | LocalStore | None:
    """Bind flask-caching's ``cache`` and return the store the generation cache uses."""
    settings = backend_config(app.config)
    cache.init_app(app, settings)
    kind = settings["CACHE_TYPE"]
    if kind == "NullCache":
        return None
    if kind == "SimpleCache":
        logger.warning(
            "No REDIS_URL: caching in process memory. Each worker has its own cache and "
            "does not see invalidations made by other workers or instances for up to "
            "%s s; set REDIS_URL for a shared cache.",
            settings["CACHE_DEFAULT_TIMEOUT"],
        )
        return LocalStore(cache.cache)
    prefix = str(app.config["CACHE_KEY_PREFIX"])
    return RedisStore(
        lambda: redis_client.shared(app), prefix, RedisSerializer(), watch_factory(app, prefix)
    )


def watch_factory(app: Flask, prefix: str) -> Callable[[Any], GenerationWatcher | None]:
    """Return how a store makes its generation watcher from its client (or makes none)."""
    if not enabled(app.config["CACHE_WATCH_GENERATIONS"]):
        return lambda client: None
    trust = float(app.config["CACHE_WATCH_TRUST_SECONDS"])
    retry = float(app.config["CACHE_RETRY_SECONDS"])

    def watch(client: Any) -> GenerationWatcher:
        return GenerationWatcher(
            redis_client.push_connection(client),
            prefix + "gen:",
            retry_seconds=retry,
            heartbeat_seconds=trust / 4,
            trust_seconds=trust,
            # Behind Sentinel a demoted master still answers PING: ask for its role.
            heartbeat=("ROLE",) if redis_client.mode(app.config) == "sentinel" else ("PING",),
        )

    return watch
