"""Caching (completed by the caching issue): for now the in-process default."""

from __future__ import annotations

from flask import Flask

from .extensions import cache


def init_app(app: Flask) -> None:
    """Bind flask-caching with an in-process cache."""
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 300)
    cache.init_app(app)
