"""Throttle settings read from the app config: DRF-style rates, storage, proxies."""

from __future__ import annotations

from typing import Any

from flask import Flask
from limits import RateLimitItem, parse_many

from .. import redis_client
from ..settings import DEFAULT_RATES  # noqa: F401 (tests read the defaults from here)


def describe_item(item: RateLimitItem) -> str:
    """Say a rate limit item in words: "100 requests per day", "5 requests per 2 hours"."""
    unit = item.GRANULARITY.name
    period = unit if item.multiples == 1 else f"{item.multiples} {unit}s"
    return f"{item.amount} request{'s' if item.amount != 1 else ''} per {period}"


def describe_rate(rate: str | None) -> str:
    """Say a whole rate string in words; "no limit" when it is switched off."""
    return " and ".join(describe_item(item) for item in parse_many(rate)) if rate else "no limit"


def storage_settings(app: Flask) -> tuple[str, dict[str, Any]]:
    """Return the limiter's storage URI and options: Redis (plain, Sentinel, Cluster) or memory."""
    config = app.config
    if config.get("RATELIMIT_STORAGE_URI"):
        return config["RATELIMIT_STORAGE_URI"], config.get("RATELIMIT_STORAGE_OPTIONS", {})
    return redis_client.limiter_storage(app)
