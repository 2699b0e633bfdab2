"""Creating accounts: every user gets an author profile so that they can write."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_login import current_user, user_logged_in, user_logged_out
from sqlalchemy import select
from werkzeug.exceptions import Unauthorized

from .extensions import db
from .models import Author, User


def phone_taken(phone_no: str) -> bool:
    """Return whether a user already has this normalised phone number."""
    return db.session.scalar(select(User.id).where(User.phone_no == phone_no)) is not None


def email_taken(email: str | None) -> bool:
    """Return whether a user or author already has this e-mail address."""
    if not email:
        return False
    email = email.strip().lower()
    user = db.session.scalar(select(User.id).where(User.email == email))
    author = db.session.scalar(
        select(Author.id).where(Author.email == email, Author.user_id.is_(None))
    )
    return user is not None or author is not None


def create_user(
    phone_no: str,
    password: str,
    name: str = "",
    email: str | None = None,
    *,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Add a user and their author profile to the session (the caller commits)."""
    user = User(
        phone_no=phone_no,
        name=name,
        email=email,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
    )
    user.set_password(password)
    user.author = Author(name=name or user.phone_no, email=user.email)
    db.session.add(user)
    return user


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
