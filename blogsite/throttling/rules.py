"""The throttles, and the decorator that puts views under them with flask-limiter's public API.

Every throttle is a ``Limiter.shared_limit`` whose scope is its name, applied by
``throttled`` on this app's own limiter (``limiter.app_throttles``) the first time the view
runs. flask-limiter checks decorated limits in the view wrapper, after every
``before_request`` hook; the page cache (``caching.pages.cached_page``) wraps the view
*beneath* the throttles, so a page answered from the cache still counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from flask import current_app, g
from flask_limiter import Limiter
from werkzeug.wrappers import Response

from .keys import (
    address_key,
    current_user_id,
    current_user_key,
    submitted_phone_key,
    upload_key,
    user_or_address_key,
)
from .limiter import app_throttles

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
        # Each uncached search costs the database a ranking: per address, signed in or not.
        Throttle("search", address_key, ("ip",), message="You have searched too often."),
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
        # Pictures take CPU and storage: a writer's uploads, per account.
        Throttle("upload", upload_key, ("user", "ip"), ("POST",),
                 message="You have uploaded too many pictures; try again later."),
    )
}  # fmt: skip


def throttled(*names: str) -> Callable[[F], F]:
    """Put a view under the named throttles; stack a ``cached_page`` beneath, never above."""
    unknown = [name for name in names if name not in THROTTLES]
    if unknown:
        raise ValueError(f"unknown throttles {unknown}; known ones: {', '.join(THROTTLES)}")

    def mark(view: F) -> F:
        # Throttles stacked directly merge into one wrapper: one check, one hit per budget.
        inner = view.unthrottled if getattr(view, "throttle_wrapper", None) is view else view
        scopes = (*getattr(view, "throttles", ()), *names)

        @functools.wraps(inner)
        def throttled_view(*args: Any, **kwargs: Any) -> Any:
            g.throttle_scopes = scopes  # for the access log
            state = app_throttles()
            return state.view(inner, scopes, partial(limit_view, state.limiter, scopes))(
                *args, **kwargs
            )

        throttled_view.throttles = scopes  # type: ignore[attr-defined]
        throttled_view.unthrottled = inner  # type: ignore[attr-defined]
        throttled_view.throttle_wrapper = throttled_view  # type: ignore[attr-defined]
        return throttled_view  # type: ignore[return-value]

    return mark


def limit_view(limiter: Limiter, names: tuple[str, ...], view: Callable[..., Any]) -> Any:
    """Wrap ``view`` in one flask-limiter shared limit per throttle."""
    # flask-limiter keys decorated limits by the view's qualified name, and only the
    # innermost of its wrappers checks them: every throttle is checked once, together.
    for name in names:
        throttle = THROTTLES[name]
        view = limiter.shared_limit(
            partial(_rate, throttle),
            scope=throttle.name,
            key_func=throttle.key,
            methods=list(throttle.methods) if throttle.methods else None,
            error_message=throttle.message,
            exempt_when=partial(_exempt, throttle),
            # The limits configured as RATELIMIT_DEFAULT still apply as well.
            override_defaults=False,
            deduct_when=_counted_by_the_view if throttle.reserved else None,
        )(view)
    return view


anon_throttle = throttled("anon")
user_throttle = throttled("user")
login_limits = throttled("login", "login_phone")
registration_limits = throttled("register")


def scoped_throttle(scope: str) -> Callable[[F], F]:
    """Put a view in a DRF-style scope: one budget shared by every view in it."""
    return throttled(scope)


def _counted_by_the_view(response: Response) -> bool:
    return False  # reserve_attempt() took the hit before the password was checked


def _rate(throttle: Throttle) -> str:
    """Return the throttle's configured rate, or "" when it is switched off."""
    return current_app.config["THROTTLE_RATES"].get(throttle.name) or ""


def _exempt(throttle: Throttle) -> bool:
    if throttle.anonymous_only and current_user_id() is not None:
        return True
    return not throttle.key()  # e.g. no valid phone number posted: nothing to count
