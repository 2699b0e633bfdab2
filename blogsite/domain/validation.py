"""The checks and clean-ups every face applies to submitted text, as plain functions."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

_PHONE_FORMATTING = re.compile(r"[\s\-.()/]")
MIN_PHONE_DIGITS = 8
MAX_PHONE_DIGITS = 15
MAX_URL_LENGTH = 500
EMAIL_MAX = 254
CONTROL_CHARACTERS = frozenset(chr(n) for n in (*range(32), 127))
TEXT_CONTROL_CHARACTERS = CONTROL_CHARACTERS - {"\t", "\n", "\r"}

BAD_EMAIL = "Enter a valid e-mail address."
EMAIL_TAKEN = "An account with this e-mail address already exists."
NOT_ONE_LINE = "Use letters, digits and punctuation only, on one line."
CONTROL_IN_TEXT = "The text contains control characters; remove them."


class RuleError(ValueError):
    """A write broke a rule; ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def strip_text(value: Any) -> Any:
    """Trim surrounding whitespace from submitted text (other values pass through)."""
    return value.strip() if isinstance(value, str) else value


def normalize_newlines(value: Any) -> Any:
    """Store line breaks as ``\\n`` whatever the browser sent (``\\r\\n`` or ``\\r``)."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def check_single_line(value: str | None) -> None:
    """Raise ``RuleError`` if ``value`` holds a control character (tabs, breaks...)."""
    if value and CONTROL_CHARACTERS.intersection(value):
        raise RuleError(NOT_ONE_LINE)


def check_plain_text(value: str | None) -> None:
    """Raise ``RuleError`` if ``value`` holds control characters other than breaks."""
    if value and TEXT_CONTROL_CHARACTERS.intersection(value):
        raise RuleError(CONTROL_IN_TEXT)


def normalize_phone(raw: str) -> str:
    """Return ``raw`` as ``+`` and 8 to 15 digits, or raise ``ValueError``."""
    number = _PHONE_FORMATTING.sub("", raw or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    if not number.startswith("+"):
        number = "+" + number
    digits = number[1:]
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("A phone number may only contain digits, spaces and dashes.")
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise ValueError(
            f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits "
            "with its country code."
        )
    if digits[0] == "0":
        raise ValueError("Start with the country code, for example +81 90 1234 5678.")
    return number


def normalize_email(raw: str | None) -> str | None:
    """Return ``raw`` trimmed and lower-cased, None if blank (unique columns allow many)."""
    return (raw or "").strip().lower() or None


def check_email(address: str) -> None:
    """Raise ``RuleError`` unless ``address`` has the shape of an e-mail address."""
    # The shape only: deliverability would need DNS, and a typo'd domain is the user's.
    if len(address) > EMAIL_MAX:
        raise RuleError(BAD_EMAIL)
    check_single_line(address)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise RuleError(BAD_EMAIL) from None


def validate_http_url(url: str) -> str:
    """Return ``url`` stripped if it is an absolute http(s) URL, else raise ``ValueError``."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise RuleError(f"A link is at most {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuleError("The image link must start with http:// or https://.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise RuleError("The image link must not contain spaces.")
    return url
