"""The rules of ``validation`` as WTForms filters and validators, for site and console forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wtforms import Field
from wtforms.validators import StopValidation, ValidationError

from . import authors
from .validation import (
    EMAIL_TAKEN,
    RuleError,
    check_email,
    check_plain_text,
    check_single_line,
    normalize_email,
    normalize_newlines,
    normalize_phone,
    strip_text,
    validate_http_url,
)

__all__ = [
    "email_address",
    "email_filter",
    "email_not_taken",
    "http_url",
    "newline_filter",
    "phone_filter",
    "plain_text",
    "single_line",
    "strip_filter",
]

strip_filter = strip_text
newline_filter = normalize_newlines
email_filter = normalize_email


def phone_filter(value: str | None) -> str | None:
    """Normalise a phone number; the ValueError of a bad one becomes the field's error."""
    return normalize_phone(value) if value else value


# Both stop the field's checks: later ones (database look-ups) must never see a NUL byte,
# which PostgreSQL refuses with an error rather than an answer.
def single_line(form: Any, field: Field) -> None:
    """Reject control characters: a one-line field holds none."""
    try:
        check_single_line(field.data)
    except RuleError as error:
        raise StopValidation(str(error)) from None


def plain_text(form: Any, field: Field) -> None:
    """Reject control characters other than tabs and line breaks."""
    try:
        check_plain_text(field.data)
    except RuleError as error:
        raise StopValidation(str(error)) from None


def email_address(form: Any, field: Field) -> None:
    """Accept an empty field or the shape of an e-mail address."""
    try:
        if field.data:
            check_email(field.data)
    except RuleError as error:
        raise StopValidation(str(error)) from None


def http_url(form: Any, field: Field) -> None:
    """Accept only absolute http(s) links (no ``javascript:``, ``data:`` or paths)."""
    try:
        field.data = validate_http_url(field.data or "")
    except RuleError as error:
        raise ValidationError(str(error)) from None


def email_not_taken(own_email: Callable[[Any], str | None]) -> Callable[[Any, Field], None]:
    """Refuse an address another account uses; ``own_email(form)`` is the account's own."""

    def check(form: Any, field: Field) -> None:
        address = normalize_email(field.data)
        if address is None or field.errors or address == normalize_email(own_email(form)):
            return
        if authors.email_taken(address):
            raise StopValidation(EMAIL_TAKEN)

    return check
