"""Logging and monitoring: JSON logs with a request id, redaction, Sentry, health, metrics."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.logging import default_handler

from .access import finish_request
from .config import configure_logging, logging_dict_config
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


def init_app(app: Flask) -> None:
    """Configure logging, Sentry, health and metrics (the pipeline registers the hooks)."""
    from .. import health, metrics  # after our own imports: both use the extensions

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
