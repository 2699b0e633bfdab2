"""Logging in and out, the same steps for the site and the console: each keeps its own page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import User, utcnow
from ..normalize import normalize_phone
from ..throttling import forgive_attempts, reserve_attempt
from . import sessions

# Checked when the phone number is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` if it is a path on this site, else ``default``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return default
    return target


def authenticate(phone_no: str, password: str) -> User | None:
    """Return the active user with these credentials, in constant-ish time."""
    try:
        phone = normalize_phone(phone_no)
    except ValueError:
        phone = None
    user = db.session.scalar(select(User).where(User.phone_no == phone)) if phone else None
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def open_session(user: User, remember: bool) -> None:
    """Log ``user`` in on a new session row, in a cleared cookie (no fixation)."""
    session.clear()
    # "Remember me" keeps the signed session cookie for PERMANENT_SESSION_LIFETIME
    # instead of until the browser closes; the server-side row can end it sooner.
    session.permanent = remember
    login_user(user)
    session[sessions.SESSION_KEY] = sessions.begin(user)


def renew_session(user: User, remember: bool) -> None:
    """Put ``user`` on a fresh session and end every other one (after a password change)."""
    sessions.end_all(user.id)
    open_session(user, remember)
    db.session.commit()


def start_session(user: User, remember: bool = False) -> None:
    """Log ``user`` in on a fresh session and record the time."""
    sessions.prune(user.id)  # their expired rows: the table stays as small as the live ones
    open_session(user, remember)
    user.last_login = utcnow()
    db.session.commit()


def sign_in(
    phone_no: str,
    password: str,
    remember: bool = False,
    allowed: Callable[[User], bool] = lambda user: True,
) -> User | None:
    """Check the credentials within the login budgets; log the user in if ``allowed``."""
    reserve_attempt(phone_no)  # counted before the check: 429 if spent
    user = authenticate(phone_no, password)
    if user is None or not allowed(user):
        return None  # the attempt stays counted: a non-staff login to the console is a miss
    forgive_attempts(user.phone_no)
    start_session(user, remember)
    return user


def sign_out() -> None:
    """End this browser's session row and empty its cookie."""
    sessions.end_current()
    logout_user()
    session.clear()
