"""Register with a phone number; change name, e-mail and password on the account page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..domain.authors import create_user, sync_profile
from ..domain.validation import normalize_phone
from ..extensions import csrf, db
from ..models import User
from ..throttling import registration_limits
from ..users import signed_in_account
from . import bp
from .devices import devices
from .forms import PasswordChangeForm, ProfileForm, RegisterForm
from .signin import renew_session, safe_next, start_session

TAKEN_MEANWHILE = (
    "Someone else just registered this phone number or e-mail address. Check them and try again."
)


@bp.route("/register", methods=["GET", "POST"])
@registration_limits  # every POST counts: 10 an hour per address
@csrf.exempt  # RegisterForm runs the CSRF check itself and explains a failure on the form
def register() -> str | Response:
    next_url = safe_next(request.args.get("next"), url_for("blog.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = RegisterForm()
    if form.validate_on_submit():
        user = create_user(
            normalize_phone(form.phone_no.data or ""),
            form.password.data or "",
            name=form.name.data or "",
            email=form.email.data or None,
        )
        try:
            db.session.commit()
        except IntegrityError:  # the same number or address, registered a moment ago
            db.session.rollback()
            form.form_errors.append(TAKEN_MEANWHILE)
        else:
            start_session(user)
            flash(f"Welcome, {user.name}! Your account is ready: you can write now.", "success")
            return redirect(next_url)
    return render_template("auth/register.html", form=form)


def save_profile(user: User, form: ProfileForm) -> bool:
    """Store the new name and e-mail on the user and their author profile; False on a race."""
    user.name = form.name.data or ""
    user.email = form.email.data or None
    sync_profile(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.email.errors = [
            *form.email.errors,
            "An account with this e-mail address already exists.",
        ]
        return False
    return True


@bp.route("/account", methods=["GET", "POST"])
@login_required
@csrf.exempt  # both forms run the CSRF check themselves and explain a failure
def account() -> str | Response:
    user: User = signed_in_account()
    posted = request.form if request.method == "POST" else {}
    saving_profile = "profile-save_profile" in posted
    # The stored values fill the profile form unless it is the one being sent.
    profile = ProfileForm(prefix="profile", obj=None if saving_profile else user)
    password = PasswordChangeForm(prefix="password")
    if saving_profile:
        if profile.validate_on_submit() and save_profile(user, profile):
            flash("Your name and e-mail address are saved.", "success")
            return redirect(url_for("auth.account"))
    elif "password-change_password" in posted and password.validate_on_submit():
        user.set_password(password.new_password.data or "")
        db.session.commit()
        # A new session for this browser; every other session of the user ends.
        renew_session(user, remember=session.permanent)
        flash("Your password is changed. Other devices have been logged out.", "success")
        return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html", profile=profile, password=password, devices=devices(user.id)
    )
