"""The 429 answer: a page (or JSON) that says when to retry, with a matching Retry-After."""

from __future__ import annotations

import math
import time

from flask import g, make_response
from flask_limiter import RateLimitExceeded
from werkzeug.wrappers import Response

from ..errors import render_error
from ..metrics import record_throttled
from .limiter import current_limiter
from .settings import describe_item


def retry_after_seconds(error: RateLimitExceeded) -> int:
    """Return the whole seconds until the breached limit lets one more request through."""
    window = error.limit.limit.get_expiry()
    # The breached limit's own counter: a password check's reservation (attempts.py) may
    # breach a limit other than the one the limiter's headers describe.
    scope = error.limit.scope
    try:
        if not isinstance(scope, str):  # every throttle is a shared limit named by a string
            raise TypeError(f"unnamed scope {scope!r}")
        key = error.limit.key_func()
        reset_at = (
            current_limiter().limiter.get_window_stats(error.limit.limit, key, scope).reset_time
        )
    except Exception:  # storage gone between the check and now: the window is the bound
        reset_at = time.time() + window
    return min(window, max(1, math.ceil(reset_at - time.time())))


def humanize_seconds(seconds: int) -> str:
    """Say ``seconds`` the way a person would: "42 seconds", "3 minutes", "2 hours"."""
    # Round up: telling someone to come back too early only earns them another 429.
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size:
            count = math.ceil(seconds / size)
            return f"{count} {unit}s"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def handle_rate_limited(error: RateLimitExceeded) -> Response:
    """Render the 429 page or JSON with the wait, and remember it for Retry-After."""
    # Every throttle is a shared limit whose scope is its name ("anon", "login"...).
    scope = error.limit.scope
    scope = scope if isinstance(scope, str) and scope else "other"
    record_throttled(scope)
    g.throttled_by = scope  # for the access log
    seconds = retry_after_seconds(error)
    g.throttle_retry_after = seconds
    body, status = render_error(
        error,
        limit=describe_item(error.limit.limit),
        retry_after=seconds,
        retry_in=humanize_seconds(seconds),
    )
    response = make_response(body, status)
    response.headers["Retry-After"] = str(seconds)
    return response


def fix_retry_after(response: Response) -> Response:
    """Keep Retry-After only on errors, equal to the wait the 429 page states."""
    # flask-limiter 4 writes Retry-After on every limited response and may round it down
    # by a second; this hook is registered before the limiter's, so it runs after it.
    if response.status_code == 429 and "throttle_retry_after" in g:
        response.headers["Retry-After"] = str(g.throttle_retry_after)
    elif response.status_code < 400:
        response.headers.pop("Retry-After", None)
    return response
