"""The one place Redis clients are built: plain URL, Sentinel master or Cluster.

The cache, the generation watcher and the limiter all connect through here, with the
timeouts and the retry policy named once (``REDIS_SOCKET_TIMEOUT``,
``REDIS_CONNECT_TIMEOUT``, ``REDIS_RETRIES``). docs/redis.md explains the choices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask
from redis import Redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.connection import AbstractConnection
from redis.retry import Retry
from redis.sentinel import Sentinel

from .config import ConfigError, parse_redis_nodes

EXTENSION = "blogsite.redis"


def connection_options(config: dict[str, Any]) -> dict[str, Any]:
    """Return the options of every Redis connection: short timeouts, one immediate retry."""
    return {
        "socket_timeout": config["REDIS_SOCKET_TIMEOUT"],  # checked by blogsite/settings
        "socket_connect_timeout": config["REDIS_CONNECT_TIMEOUT"],
        # One immediate retry survives a pooled connection dropped by a restart; redis-py's
        # default (retries with backoff) would hold every request for seconds while it is down.
        "retry": Retry(NoBackoff(), config["REDIS_RETRIES"]),
    }


def mode(config: dict[str, Any]) -> str | None:
    """Return "cluster", "sentinel", "url", or None when no Redis is configured."""
    if config.get("REDIS_CLUSTER"):
        return "cluster"
    if config.get("REDIS_SENTINELS"):
        return "sentinel"
    return "url" if config.get("REDIS_URL") else None


def check_url(value: Any, setting: str) -> str:
    """Return a redis://, rediss:// or unix:// URL, or refuse it naming the setting."""
    scheme = urlsplit(str(value)).scheme
    if scheme not in ("redis", "rediss", "unix"):
        # Name the scheme only: the URL may carry a password.
        raise ConfigError(f"{setting} must be redis://, rediss:// or unix://, not {scheme or '?'}.")
    return str(value)


def cluster_nodes(config: dict[str, Any]) -> list[tuple[str, int]]:
    """Return the cluster's seed nodes: REDIS_CLUSTER's pairs, or REDIS_URL's host for 1."""
    cluster = config["REDIS_CLUSTER"]
    if isinstance(cluster, str | list | tuple) and str(cluster).strip() not in ("1", "true"):
        return parse_redis_nodes(cluster, "REDIS_CLUSTER")
    url = urlsplit(config.get("REDIS_URL") or "")
    if not url.hostname:
        raise ConfigError("BLOGSITE_REDIS_CLUSTER needs host:port pairs or a REDIS_URL.")
    return [(url.hostname, url.port or 6379)]


def _password(config: dict[str, Any]) -> str | None:
    return config.get("REDIS_PASSWORD") or urlsplit(config.get("REDIS_URL") or "").password


def connect(config: dict[str, Any], url: str | None = None) -> Redis | RedisCluster:
    """Build the client for ``url`` or the configured Redis; only a Cluster connects now."""
    options = connection_options(config)
    if url is not None:
        return Redis.from_url(check_url(url, "LIMITER_REDIS_URL"), **options)
    kind = mode(config)
    if kind == "cluster":
        nodes = [ClusterNode(host, port) for host, port in cluster_nodes(config)]  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        return RedisCluster(startup_nodes=nodes, password=_password(config), **options)
    if kind == "sentinel":
        master = config.get("REDIS_SENTINEL_MASTER")
        if not master:
            raise ConfigError("BLOGSITE_REDIS_SENTINELS needs BLOGSITE_REDIS_SENTINEL_MASTER.")
        path = urlsplit(config.get("REDIS_URL") or "").path.strip("/")
        # The password is the data nodes'; Sentinels (as in compose.ha.yaml) have none
        # unless REDIS_SENTINEL_PASSWORD says so.
        sentinel_kwargs = {
            "socket_timeout": options["socket_timeout"],
            "socket_connect_timeout": options["socket_connect_timeout"],
            "password": config.get("REDIS_SENTINEL_PASSWORD"),
        }
        sentinel = Sentinel(  # type: ignore[no-untyped-call]  # unannotated in redis-py
            parse_redis_nodes(config["REDIS_SENTINELS"], "REDIS_SENTINELS"),
            sentinel_kwargs=sentinel_kwargs,
            password=_password(config),
            db=int(path) if path.isdigit() else 0,
            **options,
        )
        # Always the master: a replica may not have seen a generation bump or a counter yet.
        client: Redis = sentinel.master_for(str(master))  # type: ignore[no-untyped-call]
        return client
    if kind == "url":
        return Redis.from_url(check_url(config["REDIS_URL"], "REDIS_URL"), **options)
    raise ConfigError("No Redis configured: set BLOGSITE_REDIS_URL.")


def shared(app: Flask) -> Redis | RedisCluster:
    """Return this app's client of the configured Redis (one pool for cache and limiter)."""
    client = app.extensions.get(EXTENSION)
    if client is None:
        client = app.extensions[EXTENSION] = connect(app.config)
    return client


def push_connection(client: Redis) -> Callable[[], AbstractConnection]:
    """Return a maker of RESP3 connections to ``client``'s server, for invalidation pushes.

    Same options as the pool's (a Sentinel pool's connections find the master); no silent
    retries or health checks: the watcher notices a failure and reconnects itself.
    """
    pool = client.connection_pool
    quiet = {"protocol": 3, "health_check_interval": 0, "retry": Retry(NoBackoff(), 0)}
    options = pool.connection_kwargs | quiet
    return lambda: pool.connection_class(**options)


def limiter_storage(app: Flask) -> tuple[str, dict[str, Any]]:
    """Return the limits storage URI and options, on this factory's clients where limits can.

    With ``connection_pool`` limits' RedisStorage connects through our pool and reads only
    the scheme of the URI: behind Sentinel the pool finds the master, the URI is ``redis://``.
    """
    config = app.config
    prefix = {"key_prefix": config["THROTTLE_KEY_PREFIX"]}
    own = config.get("LIMITER_REDIS_URL")  # its own server: Sentinel and Cluster are the cache's
    kind = "own" if own else mode(config)
    if kind is None:
        return "memory://", {}
    if kind == "cluster":
        # limits builds its own RedisCluster from a URI; give it the same options.
        password = _password(config)
        auth = f":{quote(password, safe='')}@" if password else ""
        hosts = ",".join(f"{host}:{port}" for host, port in cluster_nodes(config))
        return f"redis+cluster://{auth}{hosts}", prefix | connection_options(config)
    client = connect(config, own) if own else shared(app)
    assert isinstance(client, Redis)  # a Cluster returned above
    uri = "redis://" if kind == "sentinel" else str(own or config["REDIS_URL"])
    uri = "redis+" + uri if uri.startswith("unix:") else uri
    return uri, prefix | {"connection_pool": client.connection_pool}
