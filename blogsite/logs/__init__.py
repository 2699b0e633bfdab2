"""Logging and monitoring: JSON logs with a request id, redaction, Sentry, health, metrics."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask.logging import default_handler

from ..config import ConfigError
from .access import finish_request
from .config import configure_logging, format_name, level_name, logging_dict_config
from .context import (
    bind_request,
    connect_login_signals,
    current_txid,
    current_uid,
    unbind_request,
)
from .events import log_event
from .sentry import init_sentry

__all__ = [
    "bind_request",
    "connect_login_signals",
    "current_txid",
    "current_uid",
    "finish_request",
    "init_app",
    "log_event",
    "logging_dict_config",
    "unbind_request",
]


def request_id_context() -> dict[str, Any]:
    """Give templates the request id, which error pages ask users to quote."""
    return {"request_id": current_txid()}


def _check_settings(app: Flask) -> None:
    try:
        app.config["LOG_LEVEL"] = level_name(app.config["LOG_LEVEL"])
    except ValueError as error:
        raise ConfigError(f"BLOGSITE_LOG_LEVEL: {error}") from None
    try:
        app.config["LOG_FORMAT"] = format_name(app.config["LOG_FORMAT"])
    except ValueError as error:
        raise ConfigError(f"BLOGSITE_LOG_FORMAT: {error}") from None
    log_file = app.config["LOG_FILE"]
    if log_file:
        folder = os.path.dirname(os.path.abspath(log_file))
        if not os.access(folder, os.W_OK):
            raise ConfigError(
                f"BLOGSITE_LOG_FILE={log_file!r}: the folder {folder!r} does not exist "
                "or is not writable; create it or choose another path."
            )
    url = app.config["LOG_HTTP_URL"]
    if url and not str(url).startswith(("http://", "https://")):
        raise ConfigError(f"BLOGSITE_LOG_HTTP_URL must start with http:// or https://: {url!r}")


def init_app(app: Flask) -> None:
    """Configure logging, Sentry, health and metrics (the pipeline registers the hooks)."""
    from .. import health, metrics  # after our own imports: both use the extensions

    app.config.setdefault("LOG_LEVEL", "INFO")
    app.config.setdefault("LOG_FILE", None)
    app.config.setdefault("LOG_HTTP_URL", None)
    # People read the debug server's output; everything else is read by machines.
    app.config.setdefault("LOG_FORMAT", "console" if app.debug else "json")
    _check_settings(app)
    config = app.config
    configure_logging(
        config["LOG_LEVEL"], config["LOG_FILE"], config["LOG_HTTP_URL"], config["LOG_FORMAT"]
    )
    # Our root handlers carry every record; Flask's own handler would print it twice.
    app.logger.removeHandler(default_handler)

    # bind_request, finish_request and unbind_request are registered by blogsite.pipeline.
    app.context_processor(request_id_context)
    init_sentry(app)
    health.init_app(app)
    metrics.init_app(app)
