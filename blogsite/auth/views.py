"""Log in with a phone number and password; log out with a POST."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import generate_password_hash
from werkzeug.wrappers import Response

from ..extensions import csrf, db, login_manager
from ..models import User, utcnow
from ..normalize import normalize_phone
from ..throttling import forgive_attempts, login_limits, reserve_attempt
from ..users import note_account
from . import bp, sessions
from .forms import LoginForm

# Checked when the phone number is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
LOGIN_FAILED = "Wrong phone number or password."

login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the active user ``user_id`` while this browser's session row lives."""
    if not user_id.isdigit() or len(user_id) > 10 or not has_request_context():
        return None
    user = sessions.load(int(user_id), session.get(sessions.SESSION_KEY))
    if user is None or not user.is_active:
        user = None
    note_account(user)  # what Flask-Login will hold: hooks read it without a query
    return user


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


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginForm runs the CSRF check itself and explains a failure on the form
@login_limits  # password checks: 5/minute and 20/hour per address, 10/hour per phone
def login() -> str | Response:
    next_url = safe_next(request.args.get("next"), url_for("blog.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        reserve_attempt(form.phone_no.data)  # counted before the check: 429 if spent
        user = authenticate(form.phone_no.data or "", form.password.data or "")
        if user is not None:
            forgive_attempts(user.phone_no)
            start_session(user, remember=bool(form.remember.data))
            flash("You are logged in.", "success")
            return redirect(next_url)
        form.password.errors = [*form.password.errors, LOGIN_FAILED]
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    sessions.end_current()
    logout_user()
    session.clear()
    flash("You are logged out.", "success")
    return redirect(url_for("blog.index"))
