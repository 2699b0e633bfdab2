"""Normalise user input: the rules live in ``domain``; kept for the modules importing it."""

from __future__ import annotations

from .domain.validation import (
    MAX_PHONE_DIGITS,
    MAX_URL_LENGTH,
    MIN_PHONE_DIGITS,
    normalize_phone,
    validate_http_url,
)

__all__ = [
    "MAX_PHONE_DIGITS",
    "MAX_URL_LENGTH",
    "MIN_PHONE_DIGITS",
    "normalize_phone",
    "validate_http_url",
]
