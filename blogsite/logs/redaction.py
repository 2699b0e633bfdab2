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
SHORT_INT = 10**9

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
# Numbers: one pass finds every run of digits as people write them, and _number decides
# whether the run is a card, a phone number, or an ordinary number that stays readable.
# A run is an optional "+", digit groups (one may sit in parentheses) and at most one
# separator between groups: a space, "-", ".", "/", or " - " / " / ". That covers what
# normalize_phone accepts as people type it (+81 90-1234-5678, 819012345678,
# 0081-90-1234-5678, (81) 90 1234 5678, 81/90/1234/5678, 81.90.1234.5678, national
# 090-1234-5678) without gluing a whole traceback line together. It starts a token (not
# after a letter, "+", a letter and "-"/".", or a digit and a space/"/": the middle of a
# run already rejected) and is taken whole (atomic, so a 32-digit uuid never yields a
# 12-digit "phone" inside it); a run followed by a letter or ":" is an id, hex or a time.
# The lookahead asks for 7 digits before any Python runs, so short numbers cost nothing.
_GROUP = r"(?:\(\d{1,6}\)|\d+)"
_NUMBER = re.compile(
    r"(?=[+(]?\d(?:[ ./()-]{0,3}\d){6})(?<![\w+])(?<!\w[-.])"
    rf"(?>(?:\+|(?<!\d[ /])){_GROUP}(?:(?: [-/] |[ ./-])?{_GROUP})*)(?![\w:])"
)
_NOT_DIGIT = re.compile(r"\D")
# Runs of 10-15 digits that are something else: a decimal, an IPv4 address, or a compact
# timestamp (YYYYMMDDhhmm[ss]).
_OTHER_NUMBER = re.compile(
    r"\d+\.\d+|\d{1,3}(?:\.\d{1,3}){3}"
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?"
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


def number_mask(token: str) -> str | None:
    """Return the mask for a run of digits, or None when it is an ordinary number."""
    digits = _NOT_DIGIT.sub("", token)
    if not digits:
        return None
    plus = token.startswith("+")
    if not plus and 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD_MASK
    return PHONE_MASK if _is_phone(token, digits, plus) else None


def _is_phone(token: str, digits: str, plus: bool) -> bool:
    # "+" or "00" (normalize_phone reads "00" as "+"): the writer meant a phone number.
    if plus:
        return 7 <= len(digits) <= 15
    if digits.startswith("00"):
        return 8 <= len(digits) - 2 <= 15 and digits[2] != "0"
    if digits[0] == "0":  # national, with the trunk 0: 090-1234-5678, 020 7946 0958
        return (10 if token.isdigit() else 9) <= len(digits) <= 11
    # Bare: normalize_phone reads these as country code and number, 8 to 15 digits. Below
    # 10 they are mostly ids and dates, so they stay. A +1 (North America) or +7 number has
    # exactly 11 digits, which keeps epoch seconds and milliseconds (1700000000) readable.
    if not 10 <= len(digits) <= 15 or _OTHER_NUMBER.fullmatch(token):
        return False
    return len(digits) == 11 if digits[0] in "17" else True


def _number(match: re.Match[str]) -> str:
    token = match.group(0)
    mask = number_mask(token)
    if mask or " " not in token:
        return mask or token
    # A phone number next to another number ("GET /u/+4930123456789 404"): try the run
    # without its last, then without its first, space-separated group.
    head, _, last = token.rpartition(" ")
    if mask := number_mask(head.rstrip(" -/")):
        return f"{mask} {last}"
    first, _, tail = token.partition(" ")
    if mask := number_mask(tail.lstrip(" -/")):
        return f"{first} {mask}"
    return token


def _key_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group('key')}{quote}{MASK}{quote}"


# A cheap test that lets most strings (paths, names, ids) skip the patterns above. It runs
# on the lowercased text: a case-insensitive search costs about seven times as much.
_MAYBE_CREDENTIAL = re.compile(
    r"pass|pwd|secret|token|key|csrf|xsrf|cvv|cvc|card|session|credential|cookie|authori"
    r"|bearer|basic"
)


def redact_text(text: str) -> str:
    """Mask credentials, card numbers, e-mail addresses and phone numbers in ``text``."""
    if _MAYBE_CREDENTIAL.search(text.lower()):
        text = _HEADER_LINE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)
        text = _KEY_VALUE.sub(_key_value, text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    if "@" in text or "%40" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    return _NUMBER.sub(_number, text)


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
        # Under 10 digits an int is neither a card nor a phone number: most ints stop here.
        return value if -SHORT_INT < value < SHORT_INT else number_mask(str(value)) or value
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
