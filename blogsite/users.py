"""Creating accounts: every user gets an author profile so that they can write."""

from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import Author, User


def phone_taken(phone_no: str) -> bool:
    """Return whether a user already has this normalised phone number."""
    return db.session.scalar(select(User.id).where(User.phone_no == phone_no)) is not None


def email_taken(email: str | None) -> bool:
    """Return whether a user or author already has this e-mail address."""
    if not email:
        return False
    email = email.strip().lower()
    user = db.session.scalar(select(User.id).where(User.email == email))
    author = db.session.scalar(
        select(Author.id).where(Author.email == email, Author.user_id.is_(None))
    )
    return user is not None or author is not None


def create_user(
    phone_no: str,
    password: str,
    name: str = "",
    email: str | None = None,
    *,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Add a user and their author profile to the session (the caller commits)."""
    user = User(
        phone_no=phone_no,
        name=name,
        email=email,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
    )
    user.set_password(password)
    user.author = Author(name=name or user.phone_no, email=user.email)
    db.session.add(user)
    return user
