"""Who may use the console: its own login and logout, and the access checks of every view."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..auth.signin import safe_next, sign_in, sign_out
from ..extensions import db
from ..models import User
from ..throttling import login_limits
from . import dashboard
from .audit import AuditEntry
from .forms import AdminForm

LOGIN_FAILED = "Please enter the correct phone number and password for a staff account."
RECENT_ACTIONS = 10
PUBLIC_ENDPOINTS = frozenset({"admin.login_view", "admin.logout_view"})


class LoginForm(AdminForm):
    phone_no = StringField("Phone number", validators=[DataRequired(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


def is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.is_staff)


def is_superuser() -> bool:
    return bool(current_user.is_authenticated and current_user.is_superuser)


def staff_account(user: User) -> bool:
    """Return whether ``user`` may log in to the console."""
    return user.is_staff


def deny() -> Response:
    """Send visitors to the console's login page; refuse logged-in non-staff."""
    if current_user.is_authenticated:
        abort(403)
    # Only a GET is worth coming back to; a POST replayed after login would be a 405.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login_view", next=target))


class StaffOnly:
    """Mixin for views that every staff member may use."""

    def is_accessible(self) -> bool:
        return is_staff()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        return deny()


class SuperuserOnly(StaffOnly):
    """Mixin for views that only superusers may use (other staff get a 403)."""

    def is_accessible(self) -> bool:
        return is_superuser()


class StaffPage(StaffOnly, BaseView):
    """A plain console page for staff."""


class ConsoleHome(StaffOnly, AdminIndexView):
    """The console's front page (the dashboard), its login and its logout."""

    def is_accessible(self) -> bool:
        # Its login and logout pages open for anyone: they are how one becomes staff.
        return request.endpoint in PUBLIC_ENDPOINTS or is_staff()

    def is_visible(self) -> bool:
        return is_staff()  # the login page's menu shows no "Home" to a visitor

    @expose("/")
    def index(self) -> str:
        entries = db.session.scalars(
            select(AuditEntry).order_by(AuditEntry.id.desc()).limit(RECENT_ACTIONS)
        ).all()
        figures = dashboard.figures()
        return self.render(
            "admin/dashboard.html", entries=entries, users_link=is_superuser(), **figures
        )

    @expose("/login/", methods=("GET", "POST"))
    @login_limits  # the same budgets as the site's login
    def login_view(self) -> str | Response:
        next_url = safe_next(request.args.get("next"), url_for("admin.index"))
        if is_staff():
            return redirect(next_url)
        form = LoginForm()
        if form.validate_on_submit():
            phone_no, password = form.phone_no.data or "", form.password.data or ""
            if sign_in(phone_no, password, allowed=staff_account) is not None:
                return redirect(next_url)
            form.password.errors = [*form.password.errors, LOGIN_FAILED]
        return self.render("admin/login.html", form=form)

    @expose("/logout/", methods=("POST",))
    def logout_view(self) -> Response:
        sign_out()
        flash("You are logged out.", "success")
        return redirect(url_for("admin.login_view"))
