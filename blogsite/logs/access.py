"""One access record (and the request metrics) per request, written after the response."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from flask import g, request
from werkzeug.wrappers import Response

from .. import metrics
from .context import MAX_PATH, REQUEST_ID_HEADER, current_txid, settle_uid

access_logger = logging.getLogger("blogsite.access")
MAX_QUERY_KEYS = 20


def query_keys() -> list[str]:
    """Return the names of the query parameters: their values may be personal."""
    return sorted({key[:40] for key in request.args})[:MAX_QUERY_KEYS]


def throttle_outcome(response: Response) -> dict[str, Any]:
    """Return what the throttles did: refused by which scope, or the budget left."""
    # g.throttled_by: throttling.responses (a 429); g.throttle_scopes: throttling.rules.
    remaining = response.headers.get("X-RateLimit-Remaining", "")
    scopes = g.get("throttle_scopes", ())
    return {
        "throttled": "throttled_by" in g,
        "throttle": g.get("throttled_by") or (",".join(scopes) if scopes else None),
        "rate_remaining": int(remaining) if remaining.isdigit() else None,
    }


def finish_request(response: Response) -> Response:
    """Echo the request id, count the request and write its access record."""
    try:
        txid = current_txid()
        if txid:
            response.headers[REQUEST_ID_HEADER] = txid
        started = g.get("log_started")
        duration = time.perf_counter() - started if started is not None else 0.0
        settle_uid()
        status = response.status_code
        endpoint = request.endpoint or "unmatched"
        metrics.observe_request(endpoint, request.method, status, duration)
        # 5xx at WARNING, not ERROR: the error itself is already its own record (and
        # Sentry event); the access line must not make a second one.
        level = logging.WARNING if status >= 500 else logging.INFO
        access_logger.log(
            level,
            "%s %s %s",
            request.method[:16],
            request.path[:MAX_PATH],
            status,
            extra={
                "endpoint": endpoint,
                "query": query_keys(),
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                # Final: the page cache's after_request hook ran just before this one.
                "cache": g.get("cache_outcome", "BYPASS"),
                **throttle_outcome(response),
                "bytes": response.content_length,
            },
        )
    except Exception as error:  # never turn a served page into an error for a log line
        sys.stderr.write(f"blogsite access log failed: {type(error).__name__}: {error}\n")
    return response
