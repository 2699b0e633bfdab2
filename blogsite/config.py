"""Configuration: declared defaults, then the environment, ``instance/config.py``, tests.

Every setting is declared once in ``blogsite/settings/``; this module loads them into
``app.config`` (same keys as ever, so modules read ``app.config[...]``) and checks each
one once, at start-up, with a ConfigError naming the variable to change.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from .parsers import ConfigError, database_url, parse_redis_nodes, site_url
from .settings import Settings, declared

__all__ = ["ConfigError", "database_url", "load_config", "parse_redis_nodes", "site_url"]

# Fixed for every deployment: not settings, just Flask's and Flask-SQLAlchemy's switches.
FIXED: dict[str, Any] = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
}
EXTENSION = "settings"
# Names that used to be settings: refused with their new name rather than silently ignored.
RENAMED = {
    "CACHE_SOCKET_TIMEOUT": "REDIS_SOCKET_TIMEOUT",
    "CACHE_CONNECT_TIMEOUT": "REDIS_CONNECT_TIMEOUT",
    "CACHE_RETRIES": "REDIS_RETRIES",
}

# Used only under debug or testing, where a fixed key keeps sessions across reloads.
DEV_SECRET_KEY = "dev-only-insecure-secret-key"


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` in order: code, environment, instance file, test overrides."""
    settings = declared()
    app.config.from_mapping(FIXED)
    app.config.from_mapping({item.name: item.default for item in settings})
    # Flask's own settings may come as BLOGSITE_<NAME> too (values parsed as JSON).
    app.config.from_prefixed_env("BLOGSITE")
    for item in settings:
        # Ours are read raw and parsed by their type: "1.20" stays a release name, and a
        # blank variable (compose passes them) means unset.
        raw = os.environ.get(item.env, "")
        app.config[item.name] = raw if raw.strip() else app.config[item.name]
    app.config.from_pyfile("config.py", silent=True)
    if test_config is not None:
        app.config.from_mapping(test_config)

    for old, new in RENAMED.items():
        if old in app.config:
            raise ConfigError(f"BLOGSITE_{old} is now BLOGSITE_{new} (every Redis connection).")
    values = {item.name: item.parse(app.config[item.name], item.env) for item in settings}
    values |= computed(app, values)
    development = app.debug or app.config.get("TESTING")
    if not values["SECRET_KEY"]:
        if not development:
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable (for "
                'example: python -c "import secrets; print(secrets.token_hex(32))") '
                "or put SECRET_KEY in instance/config.py. Only debug and testing "
                "runs may start without one."
            )
        values["SECRET_KEY"] = DEV_SECRET_KEY
    app.config.update(values)
    app.extensions[EXTENSION] = Settings(**values)

    secure = values["SECURE_COOKIES"]
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
    if values["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Survive a database restart: pooled connections are checked on checkout by their
        # socket (liveness.py), not pinged with a round trip (pool_pre_ping still may be set).
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {"connect_timeout": 3})


def computed(app: Flask, values: dict[str, Any]) -> dict[str, Any]:
    """Return the defaults that depend on the app: database file, debug-mode choices."""
    development = bool(app.debug or app.config.get("TESTING"))
    uri = values["SQLALCHEMY_DATABASE_URI"]
    if uri is None:
        uri = "sqlite:///" + os.path.join(app.instance_path, "blogsite.sqlite")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(uri),
        "SECURE_COOKIES": not development
        if values["SECURE_COOKIES"] is None
        else values["SECURE_COOKIES"],
        # People read the debug server's output; everything else is read by machines.
        "LOG_FORMAT": values["LOG_FORMAT"] or ("console" if app.debug else "json"),
    }
