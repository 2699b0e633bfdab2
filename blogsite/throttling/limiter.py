"""Each app's own flask-limiter instance, and the throttled views built on it.

One module-level ``Limiter`` bound again by every app of a process (the tests create
hundreds) keeps its first app's storage, strategy and fallback state; clearing them needs
its private attributes. So every app gets a fresh ``Limiter`` in ``app.extensions``, and
the view decorators (``rules.throttled``) find it at request time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

from flask import Blueprint, Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

EXTENSION = "blogsite_throttles"
View = Callable[..., Any]


class AppThrottles:
    """One app's limiter, its exempt blueprints and its throttled views (each built once)."""

    def __init__(self) -> None:
        self.exempt_blueprints: list[Blueprint] = []
        self.views: dict[tuple[View, tuple[str, ...]], View] = {}
        self.lock = threading.Lock()
        self.limiter = self.new_limiter()

    def new_limiter(self) -> Limiter:
        """Return a fresh limiter with this app's exemptions (the throttles come per view)."""
        limiter = Limiter(get_remote_address)
        for blueprint in self.exempt_blueprints:
            limiter.exempt(blueprint)
        self.views.clear()  # built on the previous limiter: build them again
        return limiter

    def exempt(self, blueprint: Blueprint) -> None:
        """Keep every limit, the configured defaults included, off ``blueprint``."""
        self.exempt_blueprints.append(blueprint)
        self.limiter.exempt(blueprint)

    def view(self, view: View, names: tuple[str, ...], build: Callable[[View], View]) -> View:
        """Return ``view`` under its throttles on this app's limiter, building it the first time."""
        found = self.views.get((view, names))
        if found is None:
            # Built once per app: flask-limiter adds a limit for every decoration, so a
            # second build would count each request twice.
            with self.lock:
                found = self.views.get((view, names))
                if found is None:
                    found = self.views[(view, names)] = build(view)
        return found


def app_throttles(app: Flask | None = None) -> AppThrottles:
    """Return the throttles of ``app`` (default: the current app), created on first use."""
    target: Any = app if app is not None else current_app
    state = target.extensions.get(EXTENSION)
    if state is None:
        state = target.extensions.setdefault(EXTENSION, AppThrottles())
    return cast(AppThrottles, state)


def current_limiter() -> Limiter:
    """Return the current app's flask-limiter instance."""
    return app_throttles().limiter
