"""Redaction: mask secrets and personal data in text and structured data before it leaves."""

from __future__ import annotations

import datetime
import decimal
import enum
import functools
import re
import uuid
from collections.abc import Mapping
from typing import Any

MASK = "[REDACTED]"
EMAIL_MASK = "[EMAIL]"
PHONE_MASK = "[PHONE]"
CARD_MASK = "[CARD]"
MAX_DEPTH = 24

# Keys whose values are masked whole, wherever they appear (substring, case-insensitive).
_SENSITIVE_PARTS = (
    "password", "passwd", "passphrase", "pwd", "secret", "token", "authorization",
    "cookie", "card", "cvv", "cvc", "csrf", "xsrf", "apikey", "api_key", "private_key",
    "credential", "session", "email", "e_mail", "phone", "mobile", "iban",
)  # fmt: skip
# Short names that would match too much as substrings ("author" is not "auth").
_SENSITIVE_WORDS = frozenset({"auth", "pin", "otp", "ssn", "tel", "pan", "mail"})

_KEY_WORDS = (
    r"[\w-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|private[_-]?key"
    r"|csrf|xsrf|cvv|cvc|card[_-]?(?:number|no|num)|session[_-]?id|credential)[\w-]*"
)
# key=value, key: value, "key": "value" (quoted values may hold spaces).
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?\b{_KEY_WORDS}["']?\s*[:=]\s*)(?P<value>\[REDACTED\]|"[^"]*"|'[^']*'|[^\s"',;&}}\]]+)""",
    re.IGNORECASE,
)
# Whole header lines whose value is a credential.
_HEADER_LINE = re.compile(
    r"(?P<key>\b(?:set-)?cookie|\b(?:proxy-)?authorization)(?P<sep>\s*[:=]\s*)(?P<value>[^\r\n]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 13-19 digits in a row, or in the groups cards are printed in (4-4-4-x, Amex 4-6-5);
# not inside a longer token, so hex ids and uuids are left alone.
_CARD = re.compile(
    r"(?<![\w-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-])"
)
# Not part of a longer token: versions, IP addresses, dates and times are left alone,
# but a phone number may end a sentence.
_NOT_AFTER = r"(?<![\w+:-])(?<!\d\.)"
_NOT_BEFORE = r"(?![\w:-]|\.\d)"
_PHONES = (
    # International: +81 90-1234-5678, +819012345678, +1 (555) 123-4567.
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,5}(?!\d)"),
    # National with a trunk 0: 090-1234-5678, 03-1234-5678, 020 7946 0958.
    re.compile(rf"{_NOT_AFTER}\(?0\d{{1,4}}\)?[\s.-]\d{{1,4}}[\s.-]\d{{3,4}}{_NOT_BEFORE}"),
    # North American: (555) 123-4567, 555-123-4567, 555.123.4567.
    re.compile(rf"{_NOT_AFTER}(?:\(\d{{3}}\)\s?|\d{{3}}[.-])\d{{3}}[.-]\d{{4}}{_NOT_BEFORE}"),
    # Japanese mobile without separators: 09012345678.
    re.compile(r"(?<!\d)0[789]0\d{8}(?!\d)"),
)


def luhn_valid(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD_MASK if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return PHONE_MASK if 7 <= len(digits) <= 15 else match.group(0)


def _key_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group('key')}{quote}{MASK}{quote}"


# Cheap tests that let most strings (paths, names, ids) skip the patterns above.
_MAYBE_CREDENTIAL = re.compile(
    r"pass|pwd|secret|token|key|csrf|xsrf|cvv|cvc|card|session|credential|cookie|authori"
    r"|bearer|basic",
    re.IGNORECASE,
)
_SEVEN_DIGITS = re.compile(r"\d(?:\D{0,3}\d){6}")


def redact_text(text: str) -> str:
    """Mask credentials, card numbers, e-mail addresses and phone numbers in ``text``."""
    if _MAYBE_CREDENTIAL.search(text):
        text = _HEADER_LINE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)
        text = _KEY_VALUE.sub(_key_value, text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    digits = _SEVEN_DIGITS.search(text) is not None
    if digits:
        text = _CARD.sub(_card, text)
    if "@" in text or "%40" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if digits:
        for pattern in _PHONES:
            text = pattern.sub(_phone, text)
    return text


def is_sensitive_key(key: object) -> bool:
    """Return whether values under ``key`` must be masked whole."""
    return _sensitive_name(str(key))


@functools.lru_cache(maxsize=4096)
def _sensitive_name(key: str) -> bool:
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", key).lower().replace("-", "_")
    if any(part in name for part in _SENSITIVE_PARTS):
        return True
    return any(word in _SENSITIVE_WORDS for word in re.split(r"[^a-z0-9]+", name))


# Values that are safe as they are (the JSON encoder renders them).
_PLAIN = (bool, float, type(None), datetime.date, datetime.time, uuid.UUID, decimal.Decimal)


def redact(value: Any, depth: int = 0) -> Any:
    """Return a copy of ``value`` with sensitive keys and patterns masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, int) and not isinstance(value, bool | enum.Enum):
        text = str(value)
        return CARD_MASK if redact_text(text) != text else value
    if isinstance(value, _PLAIN):
        return value
    if depth >= MAX_DEPTH:
        return "[...]"
    if isinstance(value, Mapping):
        return {
            redact_text(str(key)): MASK if is_sensitive_key(key) else redact(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, enum.Enum):
        return redact(value.value, depth + 1)
    return redact_text(safe_repr(value))


def safe_repr(value: object) -> str:
    """Return ``repr(value)``, or a placeholder when its ``__repr__`` fails."""
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}: repr() failed>"
