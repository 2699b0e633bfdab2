"""Password rules like Django's four validators, each failure explained."""

from __future__ import annotations

import functools
import re
from difflib import SequenceMatcher
from pathlib import Path

MIN_LENGTH = 10
MAX_SIMILARITY = 0.7
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt"


@functools.cache
def common_passwords() -> frozenset[str]:
    """Load the shipped list of common passwords once."""
    return frozenset(COMMON_PASSWORDS.read_text(encoding="utf-8").split())


def _too_similar(password: str, value: str) -> bool:
    # Like Django: compare with the whole value and with each of its word parts.
    password = password.lower()
    value = value.lower()
    parts = [value, *re.split(r"\W+", value)]
    for part in parts:
        if len(part) < 3:
            continue
        matcher = SequenceMatcher(a=password, b=part)
        if matcher.quick_ratio() >= MAX_SIMILARITY and matcher.ratio() >= MAX_SIMILARITY:
            return True
    return False


def password_problems(
    password: str, *, phone_no: str = "", name: str = "", email: str = ""
) -> list[str]:
    """Return every rule ``password`` breaks; an empty list means it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(
            f"This password is too short. It must contain at least {MIN_LENGTH} characters."
        )
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    if password.lower().strip() in common_passwords():
        problems.append("This password is too common.")
    digits = re.sub(r"\D", "", phone_no)
    attributes = {"phone number": digits, "name": name, "e-mail address": email}
    similar = [
        label for label, value in attributes.items() if value and _too_similar(password, value)
    ]
    # A phone number hidden inside a longer password is still guessable.
    if len(digits) >= 6 and digits[-6:] in re.sub(r"\D", "", password):
        similar.insert(0, "phone number")
    if similar:
        problems.append(f"The password is too similar to the {similar[0]}.")
    return problems
