"""Invalidate from SQLAlchemy session events: no call site has to remember to.

``after_flush`` notes which generations the flushed changes touch, ``do_orm_execute``
notes bulk statements, ``after_commit`` bumps them, and a rolled-back transaction bumps
nothing. When a change's extent is unknown (an attribute whose old value was never
loaded, a bulk statement, raw SQL), it bumps ``all``: over-invalidating is safe.

Accounts have generations of their own, so that a logout does not empty the site's cache:
``user:<id>`` for a flushed change of a user or of one of their sessions, ``accounts``
for a bulk statement or raw SQL on those tables (ending sessions is a bulk DELETE).
"""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.sql.elements import TextClause

from ..models import STATUS_PUBLISHED, Author, Blog, CoverImage, Tag, User, UserSession
from .generations import ALL, current_state

PENDING = "blogsite_cache_pending"
TABLES = ("blogs", "authors", "tags", "cover_images", "blog_tags")
WRITE_SQL = re.compile(r"^\s*(insert|update|delete|merge|truncate|replace|alter|drop)\b", re.I)
MENTIONS_TABLE = re.compile(r"\b(" + "|".join(TABLES) + r")\b", re.I)
ACCOUNT_TABLES = ("users", "user_sessions")
MENTIONS_ACCOUNTS = re.compile(r"\b(" + "|".join(ACCOUNT_TABLES) + r")\b", re.I)
ACCOUNTS = "accounts"
TRACKED = (Blog, Author, Tag, CoverImage, User, UserSession)
Unknown = None  # a value we cannot know without a query


def _values(state: InstanceState[Any], key: str, is_new: bool) -> set[Any] | None:
    """Return the attribute's current and previous values, or None when one is unknown."""
    history = state.attrs[key].history
    if key not in state.dict and not history.has_changes():
        return Unknown  # expired or never loaded
    if history.added and not history.deleted and not is_new:
        return Unknown  # changed, but the old value was never loaded
    return {*history.added, *history.deleted, *history.unchanged} - {None}


def _pk(obj: Any) -> Any:
    """Return an object's primary key without loading anything."""
    state = inspect(obj)
    return state.identity[0] if state.identity else state.dict.get("id")


def _changed(state: InstanceState[Any]) -> set[str]:
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def blog_generations(blog: Blog, is_new: bool = False) -> set[str]:
    """Return what changing ``blog`` touches: its slugs; if published, its author and lists."""
    state = inspect(blog)
    slugs = _values(state, "slug", is_new)
    statuses = _values(state, "status", is_new)
    authors = _values(state, "author_id", is_new)
    if slugs is None or statuses is None or authors is None:
        return {ALL}
    names = {f"blog:{slug}" for slug in slugs}
    if STATUS_PUBLISHED in statuses:
        history = state.attrs["author"].history
        authors |= {_pk(a) for a in (*history.added, *history.deleted) if a is not None}
        names |= {"lists", *(f"author:{a}" for a in authors if a is not None)}
    return names


def object_generations(obj: Any, kind: str) -> set[str]:
    """Return the generations a flushed insert (``new``), update or delete touches."""
    if isinstance(obj, Blog):
        return blog_generations(obj, kind == "new")
    state = inspect(obj)
    if isinstance(obj, Author):
        if kind == "new" or (kind == "dirty" and _changed(state) <= {"bio", "email", "blogs"}):
            return {f"author:{_pk(obj)}"}
        return {ALL}  # a new name or user shows on every page of theirs; deletes cascade
    if isinstance(obj, Tag):
        if kind == "new":
            return {"lists"}
        if kind == "dirty" and _changed(state) <= {"blogs"}:
            history = state.attrs["blogs"].history
            return set().union(*(blog_generations(b) for b in (*history.added, *history.deleted)))
        return {ALL}
    if isinstance(obj, User):
        return {f"user:{_pk(obj)}"}
    if isinstance(obj, UserSession):
        if kind == "new":
            return set()  # a new session has a key of its own that nobody has cached
        owners = _values(state, "user_id", False)
        return {ACCOUNTS} if owners is None else {f"user:{owner}" for owner in owners}
    if isinstance(obj, CoverImage):
        if kind == "new" or (kind == "dirty" and _changed(state) <= {"blog"}):
            return set()  # the blog that points at it is flushed as a blog change
        return {ALL}
    return set()


def pending(session: Session) -> set[str]:
    return cast(set[str], session.info.setdefault(PENDING, set()))


def collect(session: Session, flush_context: UOWTransaction) -> None:
    """Note the generations this flush touches (after_flush: history still pre-flush)."""
    names = pending(session)
    changes = (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted))
    for kind, objects in changes:
        for obj in objects:
            if isinstance(obj, TRACKED) and (kind != "dirty" or session.is_modified(obj)):
                names |= object_generations(obj, kind)


def collect_statement(orm_state: ORMExecuteState) -> None:
    """Note bulk INSERT/UPDATE/DELETE statements and raw SQL writes on the blog tables."""
    statement = orm_state.statement
    if orm_state.is_insert or orm_state.is_update or orm_state.is_delete:
        table = getattr(statement, "table", None)
        name = getattr(table, "name", None)
        if name in TABLES:
            pending(orm_state.session).add(ALL)
        elif name in ACCOUNT_TABLES:
            pending(orm_state.session).add(ACCOUNTS)
    elif isinstance(statement, TextClause):
        sql = statement.text
        if WRITE_SQL.search(sql) and MENTIONS_TABLE.search(sql):
            pending(orm_state.session).add(ALL)
        if WRITE_SQL.search(sql) and MENTIONS_ACCOUNTS.search(sql):
            pending(orm_state.session).add(ACCOUNTS)


def bump_committed(session: Session) -> None:
    """Bump what the committed transaction touched."""
    names = session.info.pop(PENDING, None)
    state = current_state()
    if names and state is not None:
        state.bump(names)


def forget(session: Session, transaction: SessionTransaction) -> None:
    """Drop notes when the outermost transaction ends without a commit (a rollback)."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def listen() -> None:
    """Register the listeners once for every session (they find the app per call)."""
    if event.contains(Session, "after_flush", collect):
        return
    event.listen(Session, "after_flush", collect)
    event.listen(Session, "do_orm_execute", collect_statement)
    event.listen(Session, "after_commit", bump_committed)
    event.listen(Session, "after_transaction_end", forget)
