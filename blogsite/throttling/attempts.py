"""Password checks take their slot on their throttle budgets before they run.

flask-limiter's ``deduct_when`` counts after the response, so requests that arrive together
all pass its test before the first is counted (16 at once against 5/minute: 8 to 11 were
checked). Here a password check first takes a hit on every budget, each an atomic script in
Redis, and runs only when every hit succeeded: N concurrent wrong passwords against a limit
of L make at most L checks. A right password counts as an attempt on the address budgets
(no storage gives one hit back through a public API, and clearing the address budget would
let an attacker's own account reset it); it clears the phone's (or user's) budget, so an
account's owner never locks it by logging in. Log-ins and current-password checks (the
account page) have separate budgets: changing a password never spends the log-in budget.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import current_app
from flask_limiter import Limit, RateLimitExceeded
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from ..normalize import normalize_phone
from .keys import phone_key
from .limiter import current_limiter
from .rules import THROTTLES

# Counts here when the limiter's storage fails in the middle of a request, so that a
# Redis outage never lets password checks through uncounted.
_FALLBACK = MovingWindowRateLimiter(MemoryStorage())


LOG_IN = ("login", "login_phone")  # per address, per phone number tried
PASSWORD_CHECK = ("password", "password_user")  # per address, per logged-in user


def _phone(phone_no: str | None) -> str | None:
    try:
        return normalize_phone(phone_no) if phone_no else None
    except ValueError:
        return None  # not a phone number: no account's budget to count against


def _budgets(names: tuple[str, ...], phone: str | None = None) -> list[tuple[Any, str, str]]:
    """Return (limit, client key, scope) for every budget of these throttles this check costs."""
    rates = current_app.config["THROTTLE_RATES"]
    budgets = []
    for name in names:
        throttle = THROTTLES[name]
        if "phone" in throttle.keyed_on:
            key = phone_key(phone) if phone else ""
        else:
            key = throttle.key()
        if not key or not rates.get(name):
            continue
        definition = Limit(
            rates[name], key_function=partial(str, key), scope=name, shared=True,
            error_message=throttle.message,
        )  # fmt: skip
        budgets += [(limit, key, name) for limit in definition]
    return sorted(budgets, key=lambda budget: budget[0].limit)


def _take(strategy: RateLimiter, budgets: list[tuple[Any, str, str]], *prefix: str) -> None:
    # Test every budget first: a spent one refuses without costing the others a hit.
    for limit, key, scope in budgets:
        if not strategy.test(limit.limit, *prefix, key, scope):
            raise RateLimitExceeded(limit)
    for limit, key, scope in budgets:
        if not strategy.hit(limit.limit, *prefix, key, scope):
            raise RateLimitExceeded(limit)  # taken meanwhile by a concurrent request


def _reserve(budgets: list[tuple[Any, str, str]]) -> None:
    try:
        _take(current_limiter().limiter, budgets)
    except RateLimitExceeded:
        raise
    except Exception as error:  # the storage failed: count in this process instead
        current_app.logger.warning(
            "Throttle storage unreachable (%s): counting this password check in process memory.",
            type(error).__name__,
        )
        _take(_FALLBACK, budgets, current_app.config["THROTTLE_KEY_PREFIX"])


def _forgive(budgets: list[tuple[Any, str, str]]) -> None:
    for limit, key, scope in budgets:
        try:
            current_limiter().limiter.clear(limit.limit, key, scope)
        except Exception:  # a budget left in place only delays the owner's next check
            current_app.logger.warning("Could not clear a %s budget after a success.", scope)


def reserve_attempt(phone_no: str | None) -> None:
    """Count one log-in for this address (and phone), or raise the 429 if a budget is spent."""
    _reserve(_budgets(LOG_IN, _phone(phone_no)))


def forgive_attempts(phone_no: str) -> None:
    """Clear the failed log-ins of a phone whose owner just proved their password."""
    _forgive(_budgets(("login_phone",), _phone(phone_no)))


def reserve_password_check() -> None:
    """Count one current-password check for this address and user, or raise the 429."""
    _reserve(_budgets(PASSWORD_CHECK))


def forgive_password_checks() -> None:
    """Clear the logged-in user's wrong current passwords after a right one."""
    _forgive(_budgets(("password_user",)))
