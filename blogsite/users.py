"""Accounts: creating them (rules in ``domain.authors``) and who is logged in on this request."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_login import current_user, user_logged_in, user_logged_out
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import Unauthorized

from .domain.authors import create_user
from .extensions import db
from .models import User

__all__ = [
    "Account",
    "SignedIn",
    "account_known",
    "create_user",
    "current_account",
    "loaded_account",
    "note_account",
    "signed_in_account",
    "track_accounts",
]

# What a cached session row keeps of a user: every column but the password hash.
USER_COLUMNS = tuple(c.key for c in User.__table__.columns if c.key != "password_hash")


class SignedIn:
    """Who is logged in, as the cached session row has them: plain columns, no ORM object.

    Most pages ask only ``is_authenticated``, ``id`` or ``is_staff``; building a ``User`` and
    adding it to the ORM session cost more than the rest of loading the user. A view that
    changes the account or links rows to it asks ``current_account()`` for the ``User``.
    """

    is_authenticated = True
    is_anonymous = False

    def __init__(self, columns: dict[str, Any]) -> None:
        self.columns = columns  # shared with the worker's cached row: never changed
        self.id: int = columns["id"]
        self.phone_no: str = columns["phone_no"]
        self.email: str | None = columns["email"]
        self.name: str = columns["name"]
        self.is_active: bool = columns["is_active"]
        self.is_staff: bool = columns["is_staff"]
        self.is_superuser: bool = columns["is_superuser"]

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session."""
        return str(self.id)

    def __repr__(self) -> str:
        return f"<SignedIn {self.id}>"


# Flask-Login holds a SignedIn after loading the user from the session, a User in the
# request that logs them in.
Account = SignedIn | User


# Flask-Login keeps the user it loaded in a private attribute of ``g``; our loader and
# its signals note it here instead, so hooks can ask "who is logged in?" without a query.
def note_account(user: Account | None) -> None:
    """Remember the account Flask-Login settled on for this request (None: nobody)."""
    if has_request_context():
        g.account = user


def loaded_account() -> Account | None:
    """Return the logged-in account if this request already loaded it; never load it."""
    return g.get("account") if has_request_context() else None


def account_known() -> bool:
    """Return whether this request has loaded its user (or logged one in or out)."""
    return has_request_context() and "account" in g


def attach(columns: dict[str, Any]) -> User:
    """Return the ``User`` these columns describe, in this request's session, unqueried."""
    known = db.session.identity_map.get(db.session.identity_key(User, columns["id"]))
    if isinstance(known, User):
        return known  # this request already loaded them: one object per row
    user = User()
    for key, value in columns.items():
        set_committed_value(user, key, value)  # loaded, not changed: nothing to flush
    make_transient_to_detached(user)  # the password hash, absent, loads on first use
    # add, not merge: the object is new to this session, so nothing needs copying into
    # another (merge built a second User and copied every column into it).
    db.session.add(user)
    return user


def current_account() -> User | None:
    """Return the logged-in account as a ``User`` (built from the cached row); None if anonymous."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    account = loaded_account()
    return attach(account.columns) if isinstance(account, SignedIn) else account


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
