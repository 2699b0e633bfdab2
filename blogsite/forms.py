"""What every site form shares: CSRF failures explained on the form; local time fields.

The text rules (strip, one line, plain text, links, e-mail) live in ``domain.validators``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import DateTimeLocalField, ValidationError

from .domain.publishing import from_local, to_local
from .domain.validation import RuleError
from .extensions import csrf
from .formdata import SubmittedFieldsMeta

CSRF_FAILED = (
    "The form's security check failed ({reason}), so nothing was done. "
    "Check the form and send it again."
)


class SiteForm(FlaskForm):
    """A form that explains a failed CSRF check on the page instead of answering 400.

    Views using it are exempt from ``CSRFProtect``'s global check (``@csrf.exempt``)
    and run the same full check here, so a writer whose token expired gets the form
    back with their text in it and a fresh token.
    """

    class Meta(SubmittedFieldsMeta):
        """Read the body the throttle keys read (multipart, urlencoded or JSON)."""

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        """Validate a submitted form, CSRF first; False for a GET."""
        if not self.is_submitted():
            return False
        reason = None
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            try:
                csrf.protect()
            except CSRFError as error:
                reason = error.description
        valid = self.validate(extra_validators=extra_validators)
        if reason is not None:
            reason = reason.rstrip(".")
            self.form_errors.append(CSRF_FAILED.format(reason=reason[:1].lower() + reason[1:]))
            return False
        return valid


class LocalTimeField(DateTimeLocalField):
    """A ``datetime-local`` input read and shown in ``BLOGSITE_TIMEZONE``, stored in UTC.

    ``data`` is the aware UTC moment (None when empty); the browser sees wall-clock time.
    """

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(label, **kwargs)

    @staticmethod
    def zone() -> str:
        return str(current_app.config["TIMEZONE"])

    def process_data(self, value: Any) -> None:
        self.data = value if value is None else to_local(value, self.zone())

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(
                "Give a date and time such as 2026-12-24T09:00, or leave it empty."
            ) from None

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        """Turn the wall-clock time into UTC once it parsed (a skipped hour is an error)."""
        if self.errors or not isinstance(self.data, datetime) or self.data.tzinfo is not None:
            return
        try:
            self.data = from_local(self.data, self.zone())
        except RuleError as error:
            raise ValidationError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            shown = self.data if self.data.tzinfo is None else to_local(self.data, self.zone())
            return shown.strftime("%Y-%m-%dT%H:%M")
        return ""
