"""Keep each blog's status, created_at and publish_at copied onto its blog_tags rows.

A tag's page reads only ``blog_tags`` (one index-only range scan on ``(tag_id, status,
created_at, blog_id)``, blog/queries.py), so the copies must follow the blog. ORM flushes
copy the flushed blogs' values; bulk statements on either table re-copy every row that
differs (rare: seeding, maintenance), so no writer has to remember to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, event, exists, or_, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from ..models import Blog, blog_tags

LINK = blog_tags.c
BLOG = Blog.__table__.c


def copy_to_links(connection: Connection, blog_ids: Iterable[int] | None = None) -> None:
    """Copy status, created_at and publish_at onto the links of ``blog_ids``, or every stale one."""
    source = select(BLOG.status).where(BLOG.id == LINK.blog_id)
    stmt = update(blog_tags).values(
        status=source.scalar_subquery(),
        created_at=source.with_only_columns(BLOG.created_at).scalar_subquery(),
        publish_at=source.with_only_columns(BLOG.publish_at).scalar_subquery(),
    )
    if blog_ids is not None:
        stmt = stmt.where(LINK.blog_id.in_(list(blog_ids)))
    else:
        differs = or_(
            BLOG.status != LINK.status,
            BLOG.created_at != LINK.created_at,
            BLOG.publish_at.is_distinct_from(LINK.publish_at),
        )
        stale = exists().where(and_(BLOG.id == LINK.blog_id, differs))
        stmt = stmt.where(or_(LINK.status.is_(None), LINK.created_at.is_(None), stale))
    # On the connection, not the session: no ORM events, so no recursion into ours.
    connection.execute(stmt)


def after_flush(session: Session, flush_context: UOWTransaction) -> None:
    """Copy the values of the blogs this flush inserted or changed (tags included)."""
    ids = {obj.id for obj in (*session.new, *session.dirty) if isinstance(obj, Blog)}
    if ids:
        copy_to_links(session.connection(), sorted(ids))


def after_bulk(orm_state: ORMExecuteState) -> Any:
    """Run a bulk INSERT/UPDATE on blogs or blog_tags, then re-copy the stale links."""
    if not (orm_state.is_insert or orm_state.is_update):
        return None
    table = getattr(orm_state.statement, "table", None)
    if getattr(table, "name", None) not in ("blogs", "blog_tags"):
        return None
    result = orm_state.invoke_statement()
    try:
        frozen = result.freeze()  # read any RETURNING rows before the next statement
    except NotImplementedError:  # a plain INSERT/UPDATE: no rows to keep
        copy_to_links(orm_state.session.connection())
        return result
    copy_to_links(orm_state.session.connection())
    return frozen()


def listen() -> None:
    """Register the listeners once for every session."""
    if event.contains(Session, "after_flush", after_flush):
        return
    event.listen(Session, "after_flush", after_flush)
    event.listen(Session, "do_orm_execute", after_bulk)
