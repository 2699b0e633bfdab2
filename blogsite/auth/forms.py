"""Account forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user
from wtforms import BooleanField, EmailField, Field, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from ..domain.authors import phone_taken
from ..domain.validation import EMAIL_MAX, normalize_phone
from ..domain.validators import (
    email_address,
    email_filter,
    email_not_taken,
    single_line,
    strip_filter,
)
from ..forms import SiteForm
from ..passwords import password_problems
from ..throttling import forgive_password_checks, reserve_password_check
from ..users import signed_in_account

PASSWORD_MAX = 256  # far beyond any passphrase; bounds the work of hashing


class LoginForm(SiteForm):
    phone_no = StringField("Phone number", validators=[DataRequired(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField("Remember me")


def name_field() -> StringField:
    """A person's name as shown on their blogs."""
    return StringField(
        "Name",
        filters=[strip_filter],
        validators=[DataRequired(message="Tell readers your name."), Length(max=100), single_line],
        description="Shown on your blogs.",
    )


def email_field(own_email: Callable[[Any], str | None]) -> EmailField:
    """An optional e-mail address: its shape checked, and no other account's."""
    return EmailField(
        "E-mail (optional)",
        filters=[email_filter],
        validators=[Optional(), Length(max=EMAIL_MAX), email_address, email_not_taken(own_email)],
    )


def check_new_password(field: Field, *, phone_no: str, name: str, email: str) -> None:
    """Raise with every password rule ``field`` breaks, each shown next to the field."""
    problems = password_problems(field.data or "", phone_no=phone_no, name=name, email=email)
    if problems:
        field.errors = [*field.errors, *problems[:-1]]  # typed a Sequence: replace, not extend
        raise ValidationError(problems[-1])


class RegisterForm(SiteForm):
    phone_no = StringField(
        "Phone number",
        filters=[strip_filter],
        validators=[DataRequired(message="Enter your phone number."), Length(max=32), single_line],
        description="With the country code, for example +81 90 1234 5678. You log in with it.",
    )
    name = name_field()
    email = email_field(lambda form: None)
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Choose a password."), Length(max=PASSWORD_MAX)],
        description="At least 10 characters, not only digits, not a common password.",
    )
    confirm = PasswordField(
        "Password again",
        validators=[
            DataRequired(message="Type the password again."),
            EqualTo("password", message="The two passwords do not match."),
        ],
    )

    def validate_phone_no(self, field: Field) -> None:
        if field.errors:
            return
        try:
            phone = normalize_phone(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if phone_taken(phone):
            raise ValidationError("An account with this phone number already exists.")

    def validate_password(self, field: Field) -> None:
        check_new_password(
            field,
            phone_no=self.phone_no.data or "",
            name=self.name.data or "",
            email=self.email.data or "",
        )


class ProfileForm(SiteForm):
    name = name_field()
    email = email_field(lambda form: current_user.email)
    save_profile = SubmitField("Save")


class PasswordChangeForm(SiteForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired(),
            EqualTo("new_password", message="The two passwords do not match."),
        ],
    )
    change_password = SubmitField("Change password")

    def validate_current_password(self, field: Field) -> None:
        # A guess at the password, limited like a log-in (per address and per user) and
        # counted before the check: 429 once a budget is spent.
        reserve_password_check()
        if not signed_in_account().check_password(field.data or ""):  # the hash, loaded now
            raise ValidationError("That is not your current password.")
        forgive_password_checks()

    def validate_new_password(self, field: Field) -> None:
        check_new_password(
            field,
            phone_no=current_user.phone_no,
            name=current_user.name,
            email=current_user.email or "",
        )
