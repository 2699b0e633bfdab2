"""What every site form shares: CSRF failures explained on the form.

The text rules (strip, one line, plain text, links, e-mail) live in ``domain.validators``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError

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
