"""Throttle rates written the way Django REST Framework writes them, checked at start-up."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from limits import parse_many

from .parsers import ConfigError, Parser

_DRF_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-zA-Z]+)\s*$")
# DRF reads only the first letter of the period; accept its usual short forms, not typos.
_DRF_UNITS = {"s": "second", "sec": "second", "m": "minute", "min": "minute",
              "h": "hour", "hr": "hour", "d": "day"}  # fmt: skip
RATES_EXAMPLE = '{"anon": "100/day", "user": "1000/day", "blog_limit": "1000/day"}'


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


def rates(defaults: dict[str, str | None]) -> Parser:
    """Return a parser merging a JSON object of DRF-style rates over ``defaults``."""

    def parse_rates(value: Any, env: str) -> dict[str, str | None]:
        given = value or {}
        if isinstance(given, str):
            # Not JSON at all: say so below, like any other value that is not an object.
            with contextlib.suppress(ValueError):
                given = json.loads(given)
        if not isinstance(given, dict):
            raise ConfigError(
                f"{env} must be a JSON object such as {RATES_EXAMPLE}; got {value!r}."
            )
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ConfigError(
                f"{env} names unknown throttles {unknown}; known ones: {', '.join(defaults)}."
            )
        return defaults | {name: parse_rate(name, rate) for name, rate in given.items()}

    return parse_rates
