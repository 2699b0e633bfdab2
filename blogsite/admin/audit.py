"""The audit log: who changed which object and which fields, like Django's LogEntry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from ..models import Timestamp, User
from ..users import current_account

CREATED = "created"
CHANGED = "changed"
DELETED = "deleted"
ACTIONS = (CREATED, CHANGED, DELETED)

# Set by the database or derived from other fields: never worth reporting.
AUTOMATIC_FIELDS = frozenset({"id", "created_at", "updated_at", "last_login"})
# Reported under a name that says what happened without exposing the column.
FIELD_ALIASES = {"password_hash": "password"}
REPR_MAX = 200


class AuditEntry(Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object_type_object_id", "object_type", "object_id"),
        CheckConstraint("action IN ('created', 'changed', 'deleted')", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_time: Mapped[datetime] = Timestamp(index=True)
    # The user may be deleted later; ``actor`` keeps who it was.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(64))
    object_repr: Mapped[str] = mapped_column(String(REPR_MAX))
    action: Mapped[str] = mapped_column(String(10))
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)

    user: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_repr}"


def describe(obj: Any) -> str:
    """Return how the log names ``obj``: no phone numbers or e-mail addresses."""
    if isinstance(obj, User):
        return f"User #{obj.id}" + (f" ({obj.name})" if obj.name else "")
    return str(obj)[:REPR_MAX]


def changed_fields(obj: Any, created: bool = False) -> list[str]:
    """Return the fields of ``obj`` changed since it was loaded (set, if ``created``)."""
    names = set()
    for attr in inspect(obj).attrs:
        history = attr.history
        if attr.key in AUTOMATIC_FIELDS or not history.has_changes():
            continue
        if created and not any(value not in (None, "") for value in history.added):
            continue  # a new object's empty field is not news
        names.add(FIELD_ALIASES.get(attr.key, attr.key))
    return sorted(names)


def actor_name(user: Any) -> str:
    """Return how the log names the person acting."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return (f"#{user.id} {user.name}" if user.name else f"#{user.id}")[:120]


def record(obj: Any, action: str, fields: list[str] | None = None) -> AuditEntry:
    """Add an entry for ``obj`` to the session, to commit with the change itself."""
    if obj.id is None:
        db.session.flush()  # a new object needs its id first
    user = current_account()
    entry = AuditEntry(
        user_id=user.id if user is not None and user.is_authenticated else None,
        actor=actor_name(user),
        object_type=type(obj).__name__,
        object_id=str(obj.id),
        object_repr=describe(obj),
        action=action,
        changed_fields=fields or [],
    )
    db.session.add(entry)
    return entry


def record_change(obj: Any, created: bool) -> AuditEntry:
    """Record a creation or an edit of ``obj``, before the session flushes it."""
    fields = changed_fields(obj, created)  # read the history before a flush resets it
    return record(obj, CREATED if created else CHANGED, fields)
