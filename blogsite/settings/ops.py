"""Settings of operations: throttling, logging, metrics and error tracking."""

from __future__ import annotations

from dataclasses import dataclass

from .. import parsers as p
from ..rates import rates
from .spec import setting

# DRF's names and defaults, plus the brute-force throttles of the forms that check a
# password (log-in, the current password on the account page) and of registration, and
# the search page's budget.
DEFAULT_RATES: dict[str, str | None] = {
    "anon": "100/day", "user": "1000/day", "blog_limit": "1000/day",
    "login": "5/minute;20/hour", "login_phone": "10/hour", "register": "10/hour",
    "password": "5/minute;20/hour", "password_user": "10/hour", "search": "30/minute",
    "upload": "60/hour",
}  # fmt: skip


@dataclass(frozen=True)
class Operations:
    """Throttling, logging and monitoring settings."""

    # Throttling
    THROTTLE_RATES: dict[str, str | None] = setting(
        DEFAULT_RATES,
        "Rates as a JSON object with DRF's names, merged over the defaults; null switches one off.",
        parse=rates(DEFAULT_RATES),
    )
    THROTTLE_KEY_PREFIX: str = setting(
        "blogsite-throttle", "Key prefix of the rate-limit counters in Redis.", parse=p.not_empty
    )
    LIMITER_REDIS_URL: str | None = setting(
        None,
        "Redis for the rate-limit counters alone, run with maxmemory-policy noeviction (an evicted"
        " counter resets its limit); default: the cache's Redis.",
        example="redis://:PASSWORD@127.0.0.1:6380/0",
    )
    RATELIMIT_STRATEGY: str = setting(
        "moving-window",
        "Counting strategy (moving-window is exact and atomic across workers).",
        parse=p.strategy,
    )
    # Logging, monitoring
    LOG_LEVEL: str = setting("INFO", "Level of the blogsite and gunicorn loggers.", parse=p.level)
    LOG_FORMAT: str | None = setting(
        None,
        "How stdout reads: json, or console (short coloured lines); files and the collector always"
        " get JSON.",
        parse=p.optional(p.log_format),
        shown="json (console under FLASK_DEBUG=1)",
    )
    LOG_FILE: str | None = setting(
        None,
        "Also write JSON logs to this file (rotated at 10 MB, 10 kept).",
        parse=p.optional(p.log_file),
    )
    LOG_HTTP_URL: str | None = setting(
        None,
        "Also send JSON logs to this HTTP collector (queued; never slows a request).",
        parse=p.optional(p.http_url),
    )
    METRICS_ALLOW: str = setting(
        "127.0.0.0/8,::1",
        "Who may read /metrics besides logged-in staff: addresses or CIDR ranges, comma-separated.",
        parse=p.networks,
    )
    SENTRY_DSN: str | None = setting(
        None,
        "Report unhandled errors to Sentry (no personal data; values are scrubbed).",
        env="SENTRY_DSN",
    )
    SENTRY_ENVIRONMENT: str | None = setting(
        None, "Environment name on Sentry events.", example="production"
    )
    SENTRY_RELEASE: str | None = setting(None, "Release name on Sentry events.")
    SENTRY_TRACES_SAMPLE_RATE: float = setting(
        0.0, "Share of requests traced for performance (0 to 1).", parse=p.number(0, 1)
    )
