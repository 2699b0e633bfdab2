"""The one logging configuration, for the app and for gunicorn's ``logconfig_dict``."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from ..parsers import format_name, level_name

ROTATE_BYTES = 10 * 1024 * 1024  # the original's rotation: 10 MB x 10 files
ROTATE_BACKUPS = 10
_FILTERS = ["context", "redact"]  # on every handler, in this order

_applied: tuple[str, str | None, str | None, str] | None = None


def logging_dict_config(
    level: str = "INFO",
    log_file: str | None = None,
    http_url: str | None = None,
    log_format: str = "json",
) -> dict[str, Any]:
    """Return the ``dictConfig`` of the site: JSON (or console lines on stdout), redacted."""
    level = level_name(level)
    handlers: dict[str, dict[str, Any]] = {
        "stdout": {"()": "blogsite.logs.handlers.StdoutHandler"},
    }
    if log_file:
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": log_file,
            "maxBytes": ROTATE_BYTES,
            "backupCount": ROTATE_BACKUPS,
            "encoding": "utf-8",
        }
    if http_url:
        handlers["http"] = {"()": "blogsite.logs.handlers.http_queue_handler", "url": http_url}
    for handler in handlers.values():
        handler.update(formatter="json", filters=list(_FILTERS))
    # Only stdout reads as text for a person; files and collectors stay JSON for machines.
    handlers["stdout"]["formatter"] = format_name(log_format)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "blogsite.logs.context.ContextFilter"},
            "redact": {"()": "blogsite.logs.filters.RedactionFilter"},
            "server_access": {"()": "blogsite.logs.filters.DropServerAccessLines"},
        },
        "formatters": {
            "json": {
                "()": "blogsite.logs.filters.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "ts",
            },
            "console": {"()": "blogsite.logs.console.ConsoleFormatter"},
        },
        "handlers": handlers,
        "root": {"level": level, "handlers": list(handlers)},
        "loggers": {
            "blogsite": {"level": level},
            "werkzeug": {"level": level, "filters": ["server_access"]},
            # Named so that dictConfig removes the plain-text handlers gunicorn adds.
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "filters": ["server_access"]},
        },
    }


def configure_logging(
    level: str = "INFO",
    log_file: str | None = None,
    http_url: str | None = None,
    log_format: str = "json",
) -> bool:
    """Apply the configuration unless this process already runs it; return whether applied.

    Applying it again would close and reopen every handler, and would drop handlers
    others added to the root logger since (pytest's log capture, for one).
    """
    global _applied
    wanted = (level_name(level), log_file or None, http_url or None, format_name(log_format))
    if wanted == _applied:
        return False
    logging.config.dictConfig(logging_dict_config(*wanted))
    _applied = wanted
    return True
