"""Accounts: creating them (rules in ``domain.authors``) and who is logged in on this request."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_login import current_user, user_logged_in, user_logged_out
from werkzeug.exceptions import Unauthorized

from .domain.authors import create_user
from .models import User

__all__ = [
    "account_known",
    "create_user",
    "current_account",
    "loaded_account",
    "note_account",
    "signed_in_account",
    "track_accounts",
]


# Flask-Login keeps the user it loaded in a private attribute of ``g``; our loader and
# its signals note it here instead, so hooks can ask "who is logged in?" without a query.
def note_account(user: User | None) -> None:
    """Remember the account Flask-Login settled on for this request (None: nobody)."""
    if has_request_context():
        g.account = user


def loaded_account() -> User | None:
    """Return the logged-in account if this request already loaded it; never load it."""
    return g.get("account") if has_request_context() else None


def account_known() -> bool:
    """Return whether this request has loaded its user (or logged one in or out)."""
    return has_request_context() and "account" in g


def current_account() -> User | None:
    """Return the logged-in account as a ``User``, loading it if needed; None when anonymous."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return loaded_account()


def signed_in_account() -> User:
    """Return the logged-in account of a ``login_required`` view."""
    user = current_account()
    if user is None:
        raise Unauthorized()
    return user


def _on_login(sender: Any, user: User, **extra: Any) -> None:
    note_account(user)


def _on_logout(sender: Any, user: Any, **extra: Any) -> None:
    note_account(None)


def track_accounts() -> None:
    """Follow log-ins and log-outs within a request (the loader notes the rest)."""
    user_logged_in.connect(_on_login)
    user_logged_out.connect(_on_logout)
