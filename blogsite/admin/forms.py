"""Form pieces shared by the console's views: the CSRF-checked base form, ids, loaders.

Filters and validators of values (text, e-mail, links, phones) are ``domain.validators``.
"""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_wtf import FlaskForm
from wtforms.validators import Optional, Regexp

from ..domain.slugs import SLUG_MESSAGE, SLUG_PATTERN
from ..extensions import db
from ..formdata import SubmittedFieldsMeta
from ..models import MAX_ID


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

    @property
    def edited_object(self) -> Any:
        """Return the record this form edits (None on a create form)."""
        return self._obj


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


SLUG = [
    Optional(),
    Regexp(SLUG_PATTERN, message=SLUG_MESSAGE),
]
