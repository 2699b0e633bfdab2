"""What a submitted form reads: multipart fields and files, urlencoded fields, or a JSON object.

Flask-WTF picks the body the same way (``wrap_formdata``); the site's forms and the
throttle keys both call :func:`submitted_fields`, so a limit keyed on a form field reads
exactly what the form checks, whatever the encoding.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict, MultiDict

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def submitted_fields() -> MultiDict[str, Any] | None:
    """Return the fields of a submitted request, or None when nothing was submitted.

    A malformed JSON body raises werkzeug's 400, as Flask-WTF does.
    """
    if request.method not in SUBMIT_METHODS:
        return None
    if request.files:
        return CombinedMultiDict((request.files, request.form))
    if request.form:
        return request.form
    if request.is_json:
        data = request.get_json()
        # Only an object has fields; anything else is a form with no fields filled in.
        return ImmutableMultiDict(data) if isinstance(data, dict) else ImmutableMultiDict()
    return None


def submitted_text(name: str) -> str:
    """Return the submitted text of field ``name`` ("" when absent or not text)."""
    fields = submitted_fields()
    value = fields.get(name) if fields is not None else None
    return value if isinstance(value, str) else ""


class SubmittedFieldsMeta:
    """Form ``Meta`` that reads the request through :func:`submitted_fields`."""

    def wrap_formdata(self, form: Any, formdata: Any) -> Any:
        """Wrap data given explicitly as WTForms does; otherwise read the request's body."""
        if formdata is None or hasattr(formdata, "getlist") or hasattr(formdata, "getall"):
            return super().wrap_formdata(form, formdata)  # type: ignore[misc]
        return submitted_fields()  # Flask-WTF's "read the request" marker
