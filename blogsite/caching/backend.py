"""Choose and bind the cache backend: Redis, Sentinel, Cluster, in-process, or off."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_caching.backends.rediscache import RedisClusterCache
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import SentinelConnectionPool

from ..config import parse_redis_nodes
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


def client_options(config: dict[str, Any]) -> dict[str, Any]:
    """Return redis-py connection options: short timeouts, at most one quick retry."""
    return {
        "socket_timeout": float(config["CACHE_SOCKET_TIMEOUT"]),
        "socket_connect_timeout": float(config["CACHE_CONNECT_TIMEOUT"]),
        "retry": Retry(NoBackoff(), int(config["CACHE_RETRIES"])),
    }


def flask_caching_config(config: dict[str, Any]) -> dict[str, Any]:
    """Return the flask-caching settings for the configured backend."""
    options = client_options(config)
    common = {"CACHE_KEY_PREFIX": config["CACHE_KEY_PREFIX"], "CACHE_OPTIONS": options}
    password = config.get("REDIS_PASSWORD")
    if not enabled(config["CACHE_ENABLED"]):
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    if config.get("REDIS_CLUSTER"):
        parse_redis_nodes(config["REDIS_CLUSTER"], "REDIS_CLUSTER")
        return common | {
            "CACHE_TYPE": "RedisClusterCache",
            "CACHE_REDIS_CLUSTER": str(config["REDIS_CLUSTER"]),
            "CACHE_REDIS_PASSWORD": password or "",
            "CACHE_REDIS_URL": "",
        }
    if config.get("REDIS_SENTINELS"):
        sentinel_options = {
            "sentinel_socket_timeout": options["socket_timeout"],
            "sentinel_socket_connect_timeout": options["socket_connect_timeout"],
        }
        return common | {
            "CACHE_TYPE": "RedisSentinelCache",
            "CACHE_REDIS_SENTINELS": parse_redis_nodes(
                config["REDIS_SENTINELS"], "REDIS_SENTINELS"
            ),
            "CACHE_REDIS_SENTINEL_MASTER": str(config["REDIS_SENTINEL_MASTER"]),
            "CACHE_REDIS_PASSWORD": password,
            "CACHE_REDIS_SENTINEL_PASSWORD": config.get("REDIS_SENTINEL_PASSWORD"),
            "CACHE_OPTIONS": options | sentinel_options,
        }
    if config.get("REDIS_URL"):
        return common | {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config["REDIS_URL"]}
    return {
        "CACHE_TYPE": "SimpleCache",
        "CACHE_THRESHOLD": int(config["CACHE_THRESHOLD"]),
        "CACHE_DEFAULT_TIMEOUT": int(config["CACHE_LOCAL_TIMEOUT"]),
    }


def bind(app: Flask) -> RedisStore | LocalStore | None:
    """Bind flask-caching's ``cache`` and return the store the generation cache uses."""
    settings = flask_caching_config(app.config)
    kind = settings["CACHE_TYPE"]
    if kind == "NullCache":
        cache.init_app(app, settings)
        return None
    if kind == "SimpleCache":
        cache.init_app(app, settings)
        logger.warning(
            "No REDIS_URL: caching in process memory. Each worker has its own cache and "
            "does not see invalidations made by other workers or instances for up to "
            "%s s; set REDIS_URL for a shared cache.",
            settings["CACHE_DEFAULT_TIMEOUT"],
        )
        return LocalStore(cache.cache)
    if kind == "RedisClusterCache":
        return _bind_cluster(app, settings)
    cache.init_app(app, settings)
    backend = cache.cache
    prefix = backend._get_prefix()
    # Always the master: a replica may not have seen a generation bump yet.
    return RedisStore(
        lambda: backend._write_client, prefix, backend.serializer, watch_factory(app, prefix)
    )


def watch_factory(app: Flask, prefix: str) -> Callable[[Any], GenerationWatcher | None]:
    """Return how a store makes its generation watcher from its client (or makes none)."""
    if not enabled(app.config["CACHE_WATCH_GENERATIONS"]):
        return lambda client: None
    trust = float(app.config["CACHE_WATCH_TRUST_SECONDS"])
    retry = float(app.config["CACHE_RETRY_SECONDS"])

    def watch(client: Any) -> GenerationWatcher:
        pool = client.connection_pool  # a Sentinel pool's connections find the master
        # Pushes need RESP3; no silent retries or health checks: the watcher reconnects.
        quiet = {"protocol": 3, "health_check_interval": 0, "retry": Retry(NoBackoff(), 0)}
        options = pool.connection_kwargs | quiet
        sentinel = isinstance(pool, SentinelConnectionPool)
        return GenerationWatcher(
            lambda: pool.connection_class(**options),
            prefix + "gen:",
            retry_seconds=retry,
            heartbeat_seconds=trust / 4,
            trust_seconds=trust,
            # Behind Sentinel a demoted master still answers PING: ask for its role.
            heartbeat=("ROLE",) if sentinel else ("PING",),
        )

    return watch


def _bind_cluster(app: Flask, settings: dict[str, Any]) -> RedisStore:
    """Bind a Redis Cluster backend; if the cluster is down at start, connect later."""

    def build() -> Any:
        return RedisClusterCache(
            cluster=settings["CACHE_REDIS_CLUSTER"],
            password=settings["CACHE_REDIS_PASSWORD"],
            key_prefix=settings["CACHE_KEY_PREFIX"],
            **settings["CACHE_OPTIONS"],
        )

    try:
        cache.init_app(app, settings)
        backend = cache.cache
    except BACKEND_ERRORS as error:
        logger.warning("Redis Cluster unreachable at start-up (%s); will retry.", error)
        cache.init_app(app, {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True})
        prefix = settings["CACHE_KEY_PREFIX"]
        return RedisStore(lambda: build()._write_client, prefix, RedisClusterCache.serializer)
    return RedisStore(lambda: backend._write_client, backend._get_prefix(), backend.serializer)
