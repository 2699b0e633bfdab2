"""The throttles, the decorators that put views under them, and their flask-limiter limits.

Every throttle is a flask-limiter *application* limit with a shared scope (its name), not a
``@limiter.limit`` route decorator: flask-limiter 4 checks decorated limits inside the view
wrapper, after every ``before_request`` hook, so the page cache would answer first and a
cached page would not count. Application limits are checked in the limiter's own
``before_request``, which runs before the page cache. A limit whose view is not marked
returns no rate, so it costs nothing on other pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from flask import current_app, request
from flask_limiter import ApplicationLimit
from werkzeug.wrappers import Response

from ..extensions import limiter
from .keys import (
    address_key,
    current_user_id,
    current_user_key,
    submitted_phone_key,
    user_or_address_key,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Throttle:
    """One named budget: the key it counts against and which requests it counts."""

    name: str  # its rate in THROTTLE_RATES and its shared flask-limiter scope
    key: Callable[[], str]
    keyed_on: tuple[str, ...]  # client kinds it can count: "ip", "user", "phone"
    methods: tuple[str, ...] | None = None
    anonymous_only: bool = False  # DRF's AnonRateThrottle skips logged-in users
    # Counted by the view through reserve_attempt() before it checks a password; the
    # limiter only tests it (a spent budget answers 429 before the view runs).
    reserved: bool = False
    message: str = "You have made too many requests to these pages."


THROTTLES: dict[str, Throttle] = {
    t.name: t
    for t in (
        Throttle("anon", address_key, ("ip",), anonymous_only=True),
        Throttle("user", user_or_address_key, ("user", "ip")),
        Throttle("blog_limit", user_or_address_key, ("user", "ip")),
        Throttle("login", address_key, ("ip",), ("POST",), reserved=True,
                 message="Too many failed log-in attempts from your address."),
        Throttle("login_phone", submitted_phone_key, ("phone",), ("POST",), reserved=True,
                 message="Too many failed log-in attempts for this phone number."),
        Throttle("register", address_key, ("ip",), ("POST",),
                 message="Too many registrations from your address."),
        # The current password asked again (the account page): the view counts them.
        Throttle("password", address_key, ("ip",), ("POST",), reserved=True,
                 message="Too many wrong passwords from your address."),
        Throttle("password_user", current_user_key, ("user",), ("POST",), reserved=True,
                 message="Too many wrong passwords for this account."),
    )
}  # fmt: skip


def throttled(*names: str) -> Callable[[F], F]:
    """Put a view under the named throttles (checked before the page cache answers)."""
    unknown = [name for name in names if name not in THROTTLES]
    if unknown:
        raise ValueError(f"unknown throttles {unknown}; known ones: {', '.join(THROTTLES)}")

    def mark(view: F) -> F:
        # An attribute, not a registry: functools.wraps copies it through other decorators.
        view.throttles = (*getattr(view, "throttles", ()), *names)  # type: ignore[attr-defined]
        return view

    return mark


anon_throttle = throttled("anon")
user_throttle = throttled("user")
login_limits = throttled("login", "login_phone")
registration_limits = throttled("register")


def scoped_throttle(scope: str) -> Callable[[F], F]:
    """Put a view in a DRF-style scope: one budget shared by every view in it."""
    return throttled(scope)


def _counted_by_the_view(response: Response) -> bool:
    return False  # reserve_attempt() took the hit before the password was checked


def _view_throttles() -> tuple[str, ...]:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "throttles", ())


def _rate(throttle: Throttle) -> str:
    """Return the throttle's configured rate for this request, or "" when it does not apply."""
    if throttle.name not in _view_throttles():
        return ""
    return current_app.config["THROTTLE_RATES"].get(throttle.name) or ""


def _exempt(throttle: Throttle) -> bool:
    if throttle.anonymous_only and current_user_id() is not None:
        return True
    return not throttle.key()  # e.g. no valid phone number posted: nothing to count


def application_limits() -> list[ApplicationLimit]:
    """Return one flask-limiter application limit per throttle, bound to the limiter."""
    return [
        ApplicationLimit(
            limit_provider=partial(_rate, throttle),
            key_function=throttle.key,
            scope=throttle.name,
            methods=throttle.methods,
            exempt_when=partial(_exempt, throttle),
            deduct_when=_counted_by_the_view if throttle.reserved else None,
            error_message=throttle.message,
        ).bind(limiter)
        for throttle in THROTTLES.values()
    ]
