"""Throttling: DRF-style anon, user and scoped limits plus brute-force limits, in Redis.

Views opt in with the decorators below; rates come from ``THROTTLE_RATES``; counters live in
Redis (plain, Sentinel or Cluster) under their own key prefix, or in memory without Redis.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import RateLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException
from werkzeug.middleware.proxy_fix import ProxyFix

from .attempts import (
    forgive_attempts,
    forgive_password_checks,
    reserve_attempt,
    reserve_password_check,
)
from .budget import ThrottleStorageError, budget_status, reset_budget
from .cli import throttle_cli
from .limiter import app_throttles, current_limiter
from .responses import fix_retry_after, handle_rate_limited
from .rules import (
    THROTTLES,
    anon_throttle,
    login_limits,
    registration_limits,
    scoped_throttle,
    throttled,
    user_throttle,
)
from .settings import describe_rate, storage_settings

__all__ = [
    "THROTTLES",
    "ThrottleStorageError",
    "anon_throttle",
    "app_throttles",
    "bind_limiter",
    "budget_status",
    "current_limiter",
    "describe_rate",
    "fix_retry_after",
    "forgive_attempts",
    "forgive_password_checks",
    "init_app",
    "login_limits",
    "registration_limits",
    "reserve_attempt",
    "reserve_password_check",
    "reset_budget",
    "scoped_throttle",
    "throttled",
    "user_throttle",
]


def trust_proxies(app: Flask) -> None:
    """Honour X-Forwarded-For (and -Proto) only from the configured number of proxies."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0 and not isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Read the throttle settings, trust proxies if told to, and add the 429 page and CLI."""
    uri, options = storage_settings(app)
    app.config["RATELIMIT_STORAGE_URI"] = uri
    app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: count in this process's memory, warn once, go back to Redis when it answers.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # An error while counting must never turn a page into a 500.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    trust_proxies(app)
    app_throttles(app)  # created now, so blueprints can be exempted before the binding
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.cli.add_command(throttle_cli)


def bind_limiter(app: Flask) -> None:
    """Bind this app's limiter: it adds its own before, after and teardown request hooks."""
    state = app_throttles(app)
    try:
        state.limiter.init_app(app)
    except (RedisClusterException, RedisConnectionError) as error:
        # A cluster client connects at creation; a cluster that is down must not stop the
        # site from starting. Count per process until the next start, and say so loudly.
        app.logger.error(
            "Throttle storage unreachable at start-up (%s): counting in process memory "
            "until the app restarts.",
            type(error).__name__,
        )
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {}
        state.limiter = state.new_limiter()
        state.limiter.init_app(app)
    if app.config["RATELIMIT_STORAGE_URI"] == "memory://" and not (app.debug or app.testing):
        app.logger.warning(
            "Throttling counts in memory: each worker process has its own budgets. "
            "Set REDIS_URL to share them."
        )
