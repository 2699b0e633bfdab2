"""Log in with a phone number and password; log out with a POST."""

from __future__ import annotations

from flask import flash, has_request_context, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import csrf, login_manager
from ..throttling import login_limits
from ..users import SignedIn, note_account
from . import bp, sessions
from .forms import LoginForm
from .signin import safe_next, sign_in, sign_out

LOGIN_FAILED = "Wrong phone number or password."

login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> SignedIn | None:
    """Return the active user ``user_id`` while this browser's session row lives."""
    if not user_id.isdigit() or len(user_id) > 10 or not has_request_context():
        return None
    user = sessions.load(int(user_id), session.get(sessions.SESSION_KEY))
    if user is None or not user.is_active:
        user = None
    note_account(user)  # what Flask-Login will hold: hooks read it without a query
    return user


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginForm runs the CSRF check itself and explains a failure on the form
@login_limits  # password checks: 5/minute and 20/hour per address, 10/hour per phone
def login() -> str | Response:
    next_url = safe_next(request.args.get("next"), url_for("blog.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        phone_no, password = form.phone_no.data or "", form.password.data or ""
        if sign_in(phone_no, password, remember=bool(form.remember.data)) is not None:
            flash("You are logged in.", "success")
            return redirect(next_url)
        form.password.errors = [*form.password.errors, LOGIN_FAILED]
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    sign_out()
    flash("You are logged out.", "success")
    return redirect(url_for("blog.index"))
