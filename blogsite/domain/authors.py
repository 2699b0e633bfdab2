"""Accounts and author profiles: every user gets one so that they can write."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Author, User
from .validation import normalize_email


def phone_taken(phone_no: str) -> bool:
    """Return whether a user already has this normalised phone number."""
    return db.session.scalar(select(User.id).where(User.phone_no == phone_no)) is not None


def email_taken(email: str | None) -> bool:
    """Return whether a user or an author without an account has this e-mail address."""
    address = normalize_email(email)
    if address is None:
        return False
    user = db.session.scalar(select(User.id).where(User.email == address))
    author = db.session.scalar(
        select(Author.id).where(Author.email == address, Author.user_id.is_(None))
    )
    return user is not None or author is not None


def profile_of(user: User) -> Author:
    """Return the user's author profile, giving them one (name and e-mail) if they lack it."""
    if user.author is None:
        user.author = Author(name=user.name or user.phone_no, email=user.email)
    return user.author


def sync_profile(user: User) -> Author:
    """Copy the user's name and e-mail address onto their author profile."""
    author = profile_of(user)
    author.name = user.name or user.phone_no
    author.email = user.email
    return author


def apply_roles(user: User) -> None:
    """Make a superuser staff as well: every superuser may use the console."""
    user.is_staff = bool(user.is_staff or user.is_superuser)


def complete_user(user: User, password: str) -> User:
    """Finish a new account: roles applied, the password hashed, a profile given."""
    apply_roles(user)
    user.set_password(password)
    profile_of(user)
    return user


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
        phone_no=phone_no, name=name, email=email, is_staff=is_staff, is_superuser=is_superuser
    )
    complete_user(user, password)
    db.session.add(user)
    return user
