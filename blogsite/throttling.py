"""Throttling (completed by the throttling issue): for now in-memory storage."""

from __future__ import annotations

from flask import Flask

from .extensions import limiter


def init_app(app: Flask) -> None:
    """Bind flask-limiter with in-memory storage and rate-limit headers."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
