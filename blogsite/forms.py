"""What every site form shares: CSRF failures explained on the form, text clean-up."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import Field
from wtforms.validators import StopValidation

from .extensions import csrf
from .formdata import SubmittedFieldsMeta

CSRF_FAILED = (
    "The form's security check failed ({reason}), so nothing was done. "
    "Check the form and send it again."
)
CONTROL_CHARACTERS = {chr(n) for n in (*range(32), 127)}
TEXT_CONTROL_CHARACTERS = CONTROL_CHARACTERS - {"\t", "\n", "\r"}


def strip_text(value: Any) -> Any:
    """Trim surrounding whitespace from submitted text (other values pass through)."""
    return value.strip() if isinstance(value, str) else value


# Both stop the field's checks: later ones (database look-ups) must never see a NUL byte,
# which PostgreSQL refuses with an error rather than an answer.
def single_line(form: FlaskForm, field: Field) -> None:
    """Reject control characters: a one-line field holds none."""
    if field.data and CONTROL_CHARACTERS.intersection(field.data):
        raise StopValidation("Use letters, digits and punctuation only, on one line.")


def plain_text(form: FlaskForm, field: Field) -> None:
    """Reject control characters other than tabs and line breaks."""
    if field.data and TEXT_CONTROL_CHARACTERS.intersection(field.data):
        raise StopValidation("The text contains control characters; remove them.")


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
