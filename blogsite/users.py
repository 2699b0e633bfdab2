"""Creating accounts: the rules live in ``domain.authors``; kept for existing imports."""

from __future__ import annotations

from .domain.authors import create_user, email_taken, phone_taken

__all__ = ["create_user", "email_taken", "phone_taken"]
