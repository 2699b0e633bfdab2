"""Password checks take their slot on the failed-login budgets before they run.

flask-limiter's ``deduct_when`` counts after the response, so requests that arrive together
all pass its test before the first is counted (16 at once against 5/minute: 8 to 11 were
checked). Here a password check first takes a hit on every budget, each an atomic script in
Redis, and runs only when every hit succeeded: N concurrent wrong passwords against a limit
of L make at most L checks. A right password counts as an attempt on the address budgets
(no storage gives one hit back through a public API, and clearing the address budget would
let an attacker's own account reset it); it clears the phone's budget, so an account's
owner never locks it by logging in.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_limiter import ApplicationLimit, RateLimitExceeded
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from ..extensions import limiter
from ..normalize import normalize_phone
from .keys import phone_key
from .rules import THROTTLES

# Counts here when the limiter's storage fails in the middle of a request, so that a
# Redis outage never lets password checks through uncounted.
_FALLBACK = MovingWindowRateLimiter(MemoryStorage())


def _phone(phone_no: str | None) -> str | None:
    try:
        return normalize_phone(phone_no) if phone_no else None
    except ValueError:
        return None  # not a phone number: no account's budget to count against


def _budgets(phone: str | None) -> list[tuple[Any, str, str]]:
    """Return (limit, client key, scope) for every failed-login budget this check costs."""
    rates = current_app.config["THROTTLE_RATES"]
    budgets = []
    for throttle in THROTTLES.values():
        if not throttle.reserved or not rates.get(throttle.name):
            continue
        if "phone" in throttle.keyed_on:
            key = phone_key(phone) if phone else ""
        else:
            key = throttle.key()
        if not key:
            continue
        definition = ApplicationLimit(
            rates[throttle.name],
            key_function=lambda key=key: key,
            scope=throttle.name,
            error_message=throttle.message,
        ).bind(limiter)
        budgets += [(limit, key, throttle.name) for limit in definition]
    return sorted(budgets, key=lambda budget: budget[0].limit)


def _take(strategy: RateLimiter, budgets: list[tuple[Any, str, str]], *prefix: str) -> None:
    # Test every budget first: a spent one refuses without costing the others a hit.
    for limit, key, scope in budgets:
        if not strategy.test(limit.limit, *prefix, key, scope):
            raise RateLimitExceeded(limit)
    for limit, key, scope in budgets:
        if not strategy.hit(limit.limit, *prefix, key, scope):
            raise RateLimitExceeded(limit)  # taken meanwhile by a concurrent request


def reserve_attempt(phone_no: str | None) -> None:
    """Count one password check for this address (and phone), or raise the 429 if one is spent."""
    budgets = _budgets(_phone(phone_no))
    try:
        _take(limiter.limiter, budgets)
    except RateLimitExceeded:
        raise
    except Exception as error:  # the storage failed: count in this process instead
        current_app.logger.warning(
            "Throttle storage unreachable (%s): counting this password check in process memory.",
            type(error).__name__,
        )
        _take(_FALLBACK, budgets, current_app.config["THROTTLE_KEY_PREFIX"])


def forgive_attempts(phone_no: str) -> None:
    """Clear the failed-login budget of a phone whose owner just proved their password."""
    phone = _phone(phone_no)
    for limit, key, scope in _budgets(phone):
        if key.startswith("phone:"):
            try:
                limiter.limiter.clear(limit.limit, key, scope)
            except Exception:  # a budget left in place only delays the owner's next log-in
                current_app.logger.warning("Could not clear a phone's failed log-ins.")
