"""Logging: request context and structured events (completed by the logging issue)."""

from __future__ import annotations

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    """Set the application's log level from ``LOG_LEVEL`` (INFO by default)."""
    logging.getLogger("blogsite").setLevel(app.config.get("LOG_LEVEL", "INFO"))
