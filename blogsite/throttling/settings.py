"""Throttle settings read from the app config: DRF-style rates, storage, proxies."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from limits import RateLimitItem, parse_many
from limits.strategies import STRATEGIES

from .. import redis_client
from ..config import ConfigError

# DRF's names and defaults, plus the brute-force throttles of the forms that check a
# password (log-in, the current password on the account page) and of registration.
DEFAULT_RATES: dict[str, str | None] = {
    "anon": "100/day",
    "user": "1000/day",
    "blog_limit": "1000/day",
    "login": "5/minute;20/hour",
    "login_phone": "10/hour",
    "register": "10/hour",
    "password": "5/minute;20/hour",
    "password_user": "10/hour",
}
DEFAULTS: dict[str, Any] = {
    "THROTTLE_KEY_PREFIX": "blogsite-throttle",
    # A Redis of the limiter's own, which must never evict (maxmemory-policy noeviction):
    # an evicted counter is a limit that resets itself. Unset: the cache's Redis.
    "LIMITER_REDIS_URL": None,
    "TRUSTED_PROXIES": 0,
    # Moving window: exact like DRF's history list, and one atomic Lua script in Redis.
    "RATELIMIT_STRATEGY": "moving-window",
}
RATES_EXAMPLE = '{"anon": "100/day", "user": "1000/day", "blog_limit": "1000/day"}'
_DRF_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-zA-Z]+)\s*$")
# DRF reads only the first letter of the period; accept its usual short forms, not typos.
_DRF_UNITS = {"s": "second", "sec": "second", "m": "minute", "min": "minute",
              "h": "hour", "hr": "hour", "d": "day"}  # fmt: skip


def parse_rate(name: str, value: Any) -> str | None:
    """Return ``value`` as a limits rate string; ``None`` (JSON null) switches it off."""
    if value is None:
        return None
    problem = f"BLOGSITE_THROTTLE_RATES: the rate of {name!r} is {value!r}, which is not a rate"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{problem}; write it like "100/day" or "5/minute;20/hour".')
    parts = []
    for part in value.split(";"):
        part = part.strip()
        try:
            items = parse_many(part)
        except ValueError:
            match = _DRF_RATE.match(part)  # "100/d", "10/min", "5/sec"
            unit = _DRF_UNITS.get(match[2].lower()) if match else None
            if match is None or unit is None:
                raise ConfigError(
                    f'{problem}; write it like "100/day" or "5/minute;20/hour" '
                    "(units: second, minute, hour, day, month, year)."
                ) from None
            part = f"{match[1]}/{unit}"
            items = parse_many(part)
        if any(item.amount < 1 for item in items):
            raise ConfigError(f"{problem}: allow at least 1 request, or use null to switch it off.")
        parts.append(part)
    return ";".join(parts)


def describe_item(item: RateLimitItem) -> str:
    """Say a rate limit item in words: "100 requests per day", "5 requests per 2 hours"."""
    unit = item.GRANULARITY.name
    period = unit if item.multiples == 1 else f"{item.multiples} {unit}s"
    return f"{item.amount} request{'s' if item.amount != 1 else ''} per {period}"


def describe_rate(rate: str | None) -> str:
    """Say a whole rate string in words; "no limit" when it is switched off."""
    return " and ".join(describe_item(item) for item in parse_many(rate)) if rate else "no limit"


def load_rates(app: Flask) -> dict[str, str | None]:
    """Merge ``THROTTLE_RATES`` over the defaults, refusing malformed values."""
    given = app.config.get("THROTTLE_RATES") or {}
    if not isinstance(given, dict):
        # from_prefixed_env keeps a value that is not valid JSON as a plain string.
        raise ConfigError(
            f"BLOGSITE_THROTTLE_RATES must be a JSON object such as {RATES_EXAMPLE}; got {given!r}."
        )
    unknown = sorted(set(given) - set(DEFAULT_RATES))
    if unknown:
        raise ConfigError(
            f"BLOGSITE_THROTTLE_RATES names unknown throttles {unknown}; "
            f"known ones: {', '.join(DEFAULT_RATES)}."
        )
    rates = DEFAULT_RATES | {name: parse_rate(name, value) for name, value in given.items()}
    app.config["THROTTLE_RATES"] = rates
    return rates


def _number(app: Flask, name: str, minimum: float, kind: type) -> Any:
    """Return the setting ``name`` as ``kind`` (int or float), at least ``minimum``."""
    value = app.config[name]
    try:
        number = kind(value) if isinstance(value, str | int | float) else None
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or number < minimum or number != float(value):
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"BLOGSITE_{name} must be {what} of at least {minimum}; got {value!r}.")
    return number


def load_settings(app: Flask) -> None:
    """Fill in the throttle defaults and check the numbers and the strategy."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.config["TRUSTED_PROXIES"] = _number(app, "TRUSTED_PROXIES", 0, int)
    redis_client.connection_options(app.config)  # refuse bad timeouts at start-up
    if app.config["RATELIMIT_STRATEGY"] not in STRATEGIES:
        raise ConfigError(
            f"RATELIMIT_STRATEGY must be one of {sorted(STRATEGIES)}; "
            f"got {app.config['RATELIMIT_STRATEGY']!r}."
        )
    if not str(app.config["THROTTLE_KEY_PREFIX"]).strip():
        raise ConfigError("BLOGSITE_THROTTLE_KEY_PREFIX must not be empty.")
    load_rates(app)


def storage_settings(app: Flask) -> tuple[str, dict[str, Any]]:
    """Return the limiter's storage URI and options: Redis (plain, Sentinel, Cluster) or memory."""
    config = app.config
    if config.get("RATELIMIT_STORAGE_URI"):
        return config["RATELIMIT_STORAGE_URI"], config.get("RATELIMIT_STORAGE_OPTIONS", {})
    return redis_client.limiter_storage(app)
