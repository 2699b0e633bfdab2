"""Configuration: defaults in code, then the environment, then ``instance/config.py``."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask


class ConfigError(RuntimeError):
    """The configuration cannot run the site; the message says what to change."""


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "REDIS_URL": None,
    # Shared by the cache and the limiter: Sentinel or Cluster instead of a plain REDIS_URL.
    "REDIS_SENTINELS": None,
    "REDIS_SENTINEL_MASTER": "mymaster",
    "REDIS_CLUSTER": None,
    "REDIS_PASSWORD": None,
    "REDIS_SENTINEL_PASSWORD": None,  # only if the Sentinels themselves require one
    # Every Redis connection (cache, generation watcher, limiter): blogsite/redis_client.py.
    "REDIS_SOCKET_TIMEOUT": 0.25,
    "REDIS_CONNECT_TIMEOUT": 0.25,
    "REDIS_RETRIES": 1,  # immediate retries: one survives a connection dropped by a restart
    "BLOGS_PER_PAGE": 10,
    "FEED_SIZE": 20,
    "SITEMAP_MAX_URLS": 50_000,  # the sitemaps.org limit; a bigger site gets an index
    "SITE_NAME": "blogsite",
    # The one source of absolute URLs (feeds, sitemaps, robots.txt): https://blog.example.com.
    # Unset: they follow the request's scheme and host, and pages holding them are cached
    # per scheme and host.
    "SITE_URL": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Each form field at most 256 KiB and at most 500 fields: a long blog post fits,
    # a request that would make the parser hold megabytes gets a 413 page.
    "MAX_FORM_MEMORY_SIZE": 256 * 1024,
    "MAX_FORM_PARTS": 500,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
}

# Used only under debug or testing, where a fixed key keeps sessions across reloads.
DEV_SECRET_KEY = "dev-only-insecure-secret-key"


def positive_int(value: Any, name: str) -> int:
    """Return ``value`` as a whole number of at least 1, or say which setting is wrong."""
    if isinstance(value, bool) or not str(value).strip().isdigit() or int(value) < 1:
        raise ConfigError(f"BLOGSITE_{name} must be a whole number of at least 1; got {value!r}.")
    return int(value)


def database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_redis_nodes(value: Any, name: str) -> list[tuple[str, int]]:
    """Parse ``host:port,host:port`` (or a list) into pairs, or raise ConfigError naming it."""
    entries = value.split(",") if isinstance(value, str) else value
    if not isinstance(entries, list | tuple):
        entries = [entries]
    nodes = []
    for entry in entries:
        host, _, port = str(entry).strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(
                f"BLOGSITE_{name} must be host:port pairs separated by commas; got {value!r}."
            )
        nodes.append((host.strip("[]"), int(port)))
    return nodes


# A DNS name, an IPv4 address or a bracketed IPv6 address, and an optional port.
SITE_HOST = re.compile(r"(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


def site_url(value: Any) -> str | None:
    """Return ``SITE_URL`` as ``scheme://host[:port]`` (lower case), or raise ConfigError."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    problem = (
        f"BLOGSITE_SITE_URL must be the site's address, http(s)://host[:port] with no path, "
        f"query or fragment (for example https://blog.example.com); got {value!r}"
    )
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if (
        parts.scheme.lower() not in ("http", "https")
        or not SITE_HOST.fullmatch(parts.netloc.lower())
        or port == 0
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "?" in text
        or "#" in text
    ):
        # A path prefix is refused: url_for already puts the mount point (SCRIPT_NAME) in
        # every path, so a prefix here would be said twice.
        raise ConfigError(problem + ".")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` in order: code, environment, instance file, test overrides."""
    app.config.from_mapping(DEFAULTS)
    sqlite_path = os.path.join(app.instance_path, "blogsite.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{sqlite_path}"

    for name in ("SECRET_KEY", "REDIS_URL"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env("BLOGSITE")
    app.config.from_pyfile("config.py", silent=True)
    if test_config is not None:
        app.config.from_mapping(test_config)

    uri = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("postgresql"):
        # Survive a database restart: test pooled connections before use.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("pool_pre_ping", True)
        options.setdefault("connect_args", {"connect_timeout": 3})

    for name in ("BLOGS_PER_PAGE", "FEED_SIZE", "SITEMAP_MAX_URLS"):
        app.config[name] = positive_int(app.config[name], name)

    app.config["SITE_URL"] = site_url(app.config["SITE_URL"])

    development = app.debug or app.config.get("TESTING")
    app.config.setdefault("SECURE_COOKIES", not development)
    secure = bool(app.config["SECURE_COOKIES"])
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure

    if not app.config.get("SECRET_KEY"):
        if not development:
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable (for "
                'example: python -c "import secrets; print(secrets.token_hex(32))") '
                "or put SECRET_KEY in instance/config.py. Only debug and testing "
                "runs may start without one."
            )
        app.config["SECRET_KEY"] = DEV_SECRET_KEY
