"""Normalise user input: phone numbers, slugs and cover image links."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_PHONE_FORMATTING = re.compile(r"[\s\-.()/]")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
MIN_PHONE_DIGITS = 8
MAX_PHONE_DIGITS = 15
MAX_URL_LENGTH = 500


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


def slugify(text: str, max_length: int = 110, fallback: str = "post") -> str:
    """Turn a title into a lowercase ASCII slug; ``fallback`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback


def validate_http_url(url: str) -> str:
    """Return ``url`` stripped if it is an absolute http(s) URL, else raise ``ValueError``."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"A link is at most {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("The image link must start with http:// or https://.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError("The image link must not contain spaces.")
    return url
