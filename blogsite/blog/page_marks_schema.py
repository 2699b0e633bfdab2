"""The tables page marks live in, and the triggers that say when they no longer count.

``listing_version`` is one row, bumped by triggers on ``blogs`` and ``blog_tags`` in the
transaction of every statement that can add, remove or move a listing's entry: an insert,
a delete, a new status, schedule, date or author, any change of a tag's links. A bump is
an upsert, so a database whose row went missing (a TRUNCATE) starts counting again.
PostgreSQL's triggers run once per statement: seeding 100,000 blogs bumps once. Writes
that touch listings queue on that row for the rest of their transaction, which is short.

Migration ``0009_page_marks`` holds a frozen copy of the DDL; ``tests/test_page_marks.py``
checks that both build the same objects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    event,
    text,
)

from ..extensions import db

listing_version = Table(
    "listing_version",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the one row: 1
    Column("version", BigInteger, nullable=False),
)
listing_marks = Table(
    "listing_marks",
    db.metadata,
    Column("listing", String(64), primary_key=True),  # "home", "author:3", "tag:5"
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("sort_key", DateTime(timezone=True), nullable=False),
    Column("blog_id", Integer, nullable=False),
    Column("shown_at", DateTime(timezone=True), nullable=False),  # the moment they show
    Column("until", DateTime(timezone=True)),  # the next publication after it (None: none)
)

_BUMP = (
    "INSERT INTO listing_version (id, version) VALUES (1, 1)"
    " ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1"
)
_MOVES = "status, publish_at, created_at, author_id"  # the blog columns listings read
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION listing_version_bump() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN {_BUMP}; RETURN NULL; END $$""",
    f"""CREATE TRIGGER listing_version_blogs AFTER INSERT OR DELETE OR TRUNCATE
    OR UPDATE OF {_MOVES} ON blogs FOR EACH STATEMENT EXECUTE FUNCTION listing_version_bump()""",
    """CREATE TRIGGER listing_version_links AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE
    ON blog_tags FOR EACH STATEMENT EXECUTE FUNCTION listing_version_bump()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS listing_version_blogs ON blogs",
    "DROP TRIGGER IF EXISTS listing_version_links ON blog_tags",
    "DROP FUNCTION IF EXISTS listing_version_bump()",
]
_SQLITE_EVENTS = {
    "blog_insert": "INSERT ON blogs",
    "blog_delete": "DELETE ON blogs",
    "blog_update": f"UPDATE OF {_MOVES} ON blogs",
    "link_insert": "INSERT ON blog_tags",
    "link_delete": "DELETE ON blog_tags",
    "link_update": "UPDATE ON blog_tags",
}
SQLITE = [
    f"CREATE TRIGGER listing_version_{name} AFTER {on} BEGIN {_BUMP}; END"
    for name, on in _SQLITE_EVENTS.items()
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS listing_version_{name}" for name in _SQLITE_EVENTS]


def statements(dialect: str, drop: bool = False) -> list[str]:
    """Return the DDL of the triggers on this dialect (or of dropping them); [] if unsupported."""
    if dialect == "postgresql":
        return POSTGRES_DROP if drop else POSTGRES
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    return []


def create(target: MetaData, connection: Connection, **kw: Any) -> None:
    """Build the triggers after ``create_all`` (tests, ``flask init-db``), once."""
    for statement in statements(connection.dialect.name, drop=True):
        connection.execute(text(statement))
    for statement in statements(connection.dialect.name):
        connection.execute(text(statement))


def drop(target: MetaData, connection: Connection, **kw: Any) -> None:
    """Drop the triggers before ``drop_all`` drops the version table they write."""
    for statement in statements(connection.dialect.name, drop=True):
        connection.execute(text(statement))


def listen(metadata: MetaData) -> None:
    """Build and drop the triggers with ``metadata.create_all``/``drop_all`` (once)."""
    if not event.contains(metadata, "after_create", create):
        event.listen(metadata, "after_create", create)
        event.listen(metadata, "before_drop", drop)
