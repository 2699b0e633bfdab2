"""Users (superusers only): never the password hash; a "set password" page; no self-lockout."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import Form, PasswordField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..auth import sessions
from ..domain import authors
from ..domain.validators import (
    email_address,
    email_filter,
    email_not_taken,
    phone_filter,
    strip_filter,
)
from ..extensions import db
from ..models import User
from ..passwords import password_problems
from . import audit
from .auth import SuperuserOnly
from .base import SecuredModelView
from .forms import AdminForm, parse_id

PASSWORD_FIELDS = ("password", "confirm")
# An account cannot take these away from itself: it would lock its owner out.
OWN_FLAGS = {
    "is_superuser": "You cannot remove your own superuser status.",
    "is_staff": "You cannot remove your own staff status.",
    "is_active": "You cannot deactivate your own account.",
}


def password_field() -> PasswordField:
    return PasswordField("Password", validators=[DataRequired(), Length(max=256)])


def confirm_field() -> PasswordField:
    same = EqualTo("password", "The two passwords differ.")
    return PasswordField("Password again", validators=[DataRequired(), same])


class PasswordForm(AdminForm):
    password = password_field()
    confirm = confirm_field()


def rule_errors(password: str, phone_no: str, name: str, email: str | None) -> list[str]:
    """Return the registration rules ``password`` breaks for this person."""
    return password_problems(password, phone_no=phone_no, name=name, email=email or "")


def own_email(form: AdminForm) -> str | None:
    """Return the e-mail address of the user the form edits (None on a create form)."""
    return getattr(form.edited_object, "email", None)


class UserView(SuperuserOnly, SecuredModelView):
    column_list = [
        "phone_no", "name", "email", "city", "is_staff", "is_superuser", "is_active",
        "last_login", "sessions",
    ]  # fmt: skip
    column_labels = {
        "phone_no": "Phone number", "email": "E-mail", "is_staff": "Staff",
        "is_superuser": "Superuser", "is_active": "Active", "last_login": "Last login",
        "sessions": "Sessions",
    }  # fmt: skip
    # The relationship names the column; the figure is counted once per page (get_list).
    column_formatters = {"sessions": lambda view, context, model, name: view.session_count(model)}
    column_searchable_list = ["phone_no", "name", "email"]
    column_filters = ["is_staff", "is_superuser", "is_active"]
    column_sortable_list = ["phone_no", "name", "last_login"]
    column_default_sort = ("id", False)
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-key", ".password_view", "Set password", "user_id")
    ]
    form_columns = ["phone_no", "name", "email", "city", "is_active", "is_staff", "is_superuser"]
    form_args = {
        "phone_no": {"filters": [strip_filter, phone_filter]},
        "email": {
            "filters": [email_filter],
            # The site's rule: no address another account or author uses.
            "validators": [Optional(), email_address, email_not_taken(own_email)],
        },
        "name": {"filters": [strip_filter]},
        "city": {"filters": [strip_filter]},
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(User, **kwargs)

    def get_create_form(self) -> type[Form]:
        """Ask for a password when creating a user, checked by the registration rules."""

        class CreateUserForm(self.get_form()):  # type: ignore[misc]
            # Made here, after the scaffolded fields, so that they render last.
            password = password_field()
            confirm = confirm_field()

            def validate_password(self, field: Any) -> None:
                problems = rule_errors(
                    field.data or "", self.phone_no.data or "", self.name.data or "",
                    self.email.data,
                )  # fmt: skip
                if problems:
                    raise ValidationError(" ".join(problems))

            def populate_obj(self, obj: Any) -> None:
                for name, field in self._fields.items():
                    if name not in PASSWORD_FIELDS:  # never a plain-text attribute
                        field.populate_obj(obj, name)

        return CreateUserForm

    def validate_form(self, form: Form) -> bool:
        valid = super().validate_form(form)
        own = form.edited_object if isinstance(form, AdminForm) else None
        if request.method == "POST" and isinstance(own, User) and own.id == current_user.id:
            for name, message in OWN_FLAGS.items():
                if name in form and not form[name].data:
                    form[name].errors = [*form[name].errors, message]
                    valid = False
        return valid

    def prepare_model(self, form: Form, model: Any, is_created: bool) -> None:
        # The same rules as registration and ``flask create-superuser``.
        if is_created:
            authors.complete_user(model, form["password"].data)  # the create form's field
        else:
            authors.apply_roles(model)
            authors.sync_profile(model)  # as the account page does

    def on_model_delete(self, model: Any) -> None:
        if model.id == current_user.id:
            raise ValidationError("You cannot delete your own account.")
        super().on_model_delete(model)

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, users = super().get_list(*args, **kwargs)
        if isinstance(users, list):  # executed: count the page's live sessions in one query
            g.admin_session_counts = sessions.count_live([user.id for user in users])
        return count, users

    def session_count(self, user: User) -> int:
        """Return how many live sessions ``user`` has (counted for the page by get_list)."""
        counts: dict[int, int] = g.get("admin_session_counts", {})
        return counts.get(user.id, 0)

    @action(
        "end_sessions",
        "End sessions",
        "End every session of the selected users? They will have to log in again.",
    )
    def action_end_sessions(self, ids: Any) -> None:
        # Your own console session survives: you chose others' devices, not this browser.
        ended = 0
        for number in filter(None, map(parse_id, ids)):
            user = db.session.get(User, number)
            if user is not None:
                keep = sessions.current_id() if user.id == current_user.id else None
                ended += sessions.end_all(user.id, keep=keep)
                audit.record(user, audit.CHANGED, ["sessions"])
        db.session.commit()
        flash(f"{ended} session(s) ended.", "success")

    @expose("/password/<int:user_id>/", methods=("GET", "POST"))
    def password_view(self, user_id: int) -> str | Response:
        user = self.get_one(user_id)
        if user is None:
            abort(404)
        form = PasswordForm()
        if form.validate_on_submit():
            password = form.password.data or ""
            problems = rule_errors(password, user.phone_no, user.name, user.email)
            if not problems:
                user.set_password(password)
                sessions.end_all(user.id)  # a new password logs out every device
                audit.record(user, audit.CHANGED, ["password"])
                db.session.commit()
                flash(f"The password of {audit.describe(user)} was changed.", "success")
                return redirect(self.get_url(".index_view"))
            form.password.errors = [*form.password.errors, *problems]
        return self.render("admin/password.html", form=form, user=user)
