"""``log_event``: the original's one helper for structured application events."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
from typing import Any

from ..parsers import level_name
from .redaction import safe_repr

MAX_DEPTH = 16


def _report(message: str) -> None:
    # The logging system may be what failed: write to stderr directly, never raise.
    with contextlib.suppress(Exception):
        sys.stderr.write(f"blogsite log_event: {message}\n")


def _json_safe(value: Any, depth: int = 0) -> Any:
    """Return ``value`` with every part JSON cannot hold replaced by its ``repr``."""
    if isinstance(value, float) and not math.isfinite(value):
        return safe_repr(value)  # NaN and Infinity are not JSON
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if depth >= MAX_DEPTH:
        return "[...]"
    if isinstance(value, dict):
        return {
            key if isinstance(key, str | int | float | bool) else safe_repr(key): _json_safe(
                item, depth + 1
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_json_safe(item, depth + 1) for item in value]
    return safe_repr(value)


def _serialisable(event_name: str, data: Any) -> Any:
    try:
        json.dumps(data, allow_nan=False)
        return data
    except (TypeError, ValueError, RecursionError) as error:
        _report(
            f"data of event {event_name!r} is not JSON-serialisable "
            f"({type(error).__name__}); logging repr() of the values JSON cannot hold"
        )
        return _json_safe(data)


def log_event(
    event_name: str,
    data: Any = None,
    logger: str = "blogsite.events",
    level: str | int = "INFO",
) -> None:
    """Write one JSON record ``{ev, data, txid, uid, ...}``; never raise into the caller."""
    try:
        try:
            numeric = logging.getLevelName(level_name(level))
        except ValueError:
            _report(f"unknown level {level!r} for event {event_name!r}; using INFO")
            numeric = logging.INFO
        event = str(event_name)
        logging.getLogger(logger).log(
            numeric, event, extra={"ev": event, "data": _serialisable(event, data)}
        )
    except Exception as error:
        _report(f"could not log event {event_name!r}: {type(error).__name__}: {error}")
