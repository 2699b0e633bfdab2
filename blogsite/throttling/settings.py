"""Throttle settings read from the app config: DRF-style rates, storage, proxies."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask
from limits import RateLimitItem, parse_many
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..config import ConfigError, parse_redis_nodes
from ..rates import parse_rate  # noqa: F401 (checked at start-up with the other settings)
from ..settings import DEFAULT_RATES  # noqa: F401 (declared with the other settings)


def describe_item(item: RateLimitItem) -> str:
    """Say a rate limit item in words: "100 requests per day", "5 requests per 2 hours"."""
    unit = item.GRANULARITY.name
    period = unit if item.multiples == 1 else f"{item.multiples} {unit}s"
    return f"{item.amount} request{'s' if item.amount != 1 else ''} per {period}"


def describe_rate(rate: str | None) -> str:
    """Say a whole rate string in words; "no limit" when it is switched off."""
    return " and ".join(describe_item(item) for item in parse_many(rate)) if rate else "no limit"


def _hosts(setting: str, value: Any) -> str:
    """Return ``host:port,host:port`` for a limits storage URI."""
    return ",".join(f"{host}:{port}" for host, port in parse_redis_nodes(value, setting))


def storage_settings(app: Flask) -> tuple[str, dict[str, Any]]:
    """Return the limiter's storage URI and options: Redis (plain, Sentinel, Cluster) or memory."""
    config = app.config
    if config.get("RATELIMIT_STORAGE_URI"):
        return config["RATELIMIT_STORAGE_URI"], config.get("RATELIMIT_STORAGE_OPTIONS", {})
    timeout = config["REDIS_SOCKET_TIMEOUT"]
    timeouts = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    # One quick retry survives a pooled connection dropped by a Redis restart; redis-py's
    # default (10 retries with backoff) would hold every request for seconds while it is down.
    connection = {**timeouts, "retry": Retry(NoBackoff(), 1)}
    options: dict[str, Any] = {"key_prefix": config["THROTTLE_KEY_PREFIX"]}
    if config.get("LIMITER_REDIS_URL"):
        # Its own server: the Sentinel and Cluster settings describe the cache's.
        return _redis_url(config["LIMITER_REDIS_URL"], "LIMITER_REDIS_URL"), options | connection
    url = urlsplit(config.get("REDIS_URL") or "")
    password = config.get("REDIS_PASSWORD") or url.password
    auth = f":{quote(password, safe='')}@" if password else ""
    if config.get("REDIS_SENTINELS"):
        master = config.get("REDIS_SENTINEL_MASTER")
        if not master:
            raise ConfigError("BLOGSITE_REDIS_SENTINELS needs BLOGSITE_REDIS_SENTINEL_MASTER.")
        hosts = _hosts("REDIS_SENTINELS", config["REDIS_SENTINELS"])
        if url.path.strip("/").isdigit():
            options["db"] = int(url.path.strip("/"))
        # The password is the data nodes'; Sentinels (as in compose.ha.yaml) have none, and
        # limits would otherwise send it to them too. Counters are read from the primary
        # only: a replica may lag behind the window the primary just wrote.
        options |= {
            "sentinel_kwargs": {**timeouts, "password": config.get("REDIS_SENTINEL_PASSWORD")},
            "use_replicas": False,
            **connection,
        }
        return f"redis+sentinel://{auth}{hosts}/{master}", options
    if config.get("REDIS_CLUSTER"):
        cluster = config["REDIS_CLUSTER"]
        if isinstance(cluster, str | list | tuple):
            hosts = _hosts("REDIS_CLUSTER", cluster)
        elif url.hostname:
            hosts = f"{url.hostname}:{url.port or 6379}"  # BLOGSITE_REDIS_CLUSTER=1: seed node
        else:
            raise ConfigError("BLOGSITE_REDIS_CLUSTER needs host:port pairs or a REDIS_URL.")
        return f"redis+cluster://{auth}{hosts}", options | timeouts
    if url.scheme:
        return _redis_url(config["REDIS_URL"], "REDIS_URL"), options | connection
    return "memory://", {}


def _redis_url(value: Any, setting: str) -> str:
    """Return a redis://, rediss:// or unix:// URL as a limits storage URI."""
    scheme = urlsplit(str(value)).scheme
    if scheme in ("redis", "rediss"):
        return str(value)
    if scheme == "unix":
        return "redis+" + str(value)
    # Name the scheme only: the URL may carry a password.
    raise ConfigError(f"{setting} must be redis://, rediss:// or unix://, not {scheme or '?'}.")
