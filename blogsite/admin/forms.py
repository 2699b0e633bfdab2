"""Form pieces shared by the console's views: the CSRF-checked base form, filters, loaders."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.validators import Optional, Regexp

from ..extensions import db
from ..formdata import SubmittedFieldsMeta
from ..normalize import normalize_phone, validate_http_url

MAX_ID = 2**31 - 1  # PostgreSQL integer: a bigger id is "not found", not a database error
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class AdminForm(FlaskForm):
    """Base of every console form: Flask-WTF's CSRF token, plus ``_obj`` for flask-admin.

    flask-admin's own ``SecureForm`` signs tokens with WTForms' session CSRF, which the
    site-wide ``CSRFProtect`` rejects; a Flask-WTF form carries the token both accept, so
    every console POST is checked twice: before the view, and by the form.
    """

    class Meta(SubmittedFieldsMeta):
        """Read the body the throttle keys read (multipart, urlencoded or JSON)."""

    def __init__(self, *args: Any, obj: Any = None, **kwargs: Any) -> None:
        self._obj = obj  # read by flask-admin's Unique validator to skip the edited row
        super().__init__(*args, obj=obj, **kwargs)


def parse_id(value: Any) -> int | None:
    """Return ``value`` as a database id, or None if it cannot be one."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IdLoader(QueryAjaxModelLoader):
    """An ajax select loader that treats a malformed id as "not found"."""

    def __init__(self, name: str, model: type, **options: Any) -> None:
        super().__init__(name, db, model, **options)

    def get_one(self, pk: Any) -> Any:
        number = parse_id(pk)
        return None if number is None else super().get_one(number)


def phone_filter(value: str | None) -> str | None:
    """Normalise a phone number; a ValueError becomes the field's error."""
    return normalize_phone(value) if value else value


def email_filter(value: str | None) -> str | None:
    """Lower-case an address and turn a blank one into None (unique columns allow many)."""
    return (value or "").strip().lower() or None


def newline_filter(value: str | None) -> str | None:
    """Store newlines as browsers did not send them: ``\\n``, not ``\\r\\n``."""
    return value.replace("\r\n", "\n") if value else value


def strip_filter(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def http_url(form: Any, field: Any) -> None:
    """Accept only absolute http(s) links."""
    try:
        field.data = validate_http_url(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter a valid e-mail address.")
SLUG = [
    Optional(),
    Regexp(SLUG_PATTERN, message="Use lowercase letters, digits and single dashes."),
]
