"""The tables page marks live in, and the triggers that say when they no longer count.

``listing_version`` is one row, bumped by triggers on ``blogs`` and ``blog_tags`` once in
every transaction that adds, removes or moves a listing's entry: an insert, a delete, a
new status, schedule, date or author, a tag's link or its copies changed. The bump is part
of the writing transaction, so it becomes visible with the write, never before or after.
A bump is an upsert, so a database whose row went missing (a TRUNCATE) counts again.

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

# A lost row starts again above every stored set, so no old set can count again.
_BUMP = (
    "INSERT INTO listing_version (id, version)"
    " SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true"
    " ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1"
)
_MOVES = ("status", "publish_at", "created_at", "author_id")  # the blog columns listings read
_LINK = ("blog_id", "tag_id", "status", "created_at", "publish_at")


def _changed(columns: tuple[str, ...], differs: str) -> str:
    return " OR ".join(differs.format(c=c) for c in columns)


# Deferred to the commit, once per transaction: the version row is locked last and only
# for the commit, so writers never wait on it holding other rows (no deadlock). The WHEN
# test runs at once, so a save that moves nothing (a new title) queues nothing.
_PG_DIFFERS = "OLD.{c} IS DISTINCT FROM NEW.{c}"
_PG_ROWS = {  # name: (event, table, condition)
    "listing_version_blog_insert": ("INSERT OR DELETE", "blogs", ""),
    "listing_version_blog_update": ("UPDATE", "blogs", _changed(_MOVES, _PG_DIFFERS)),
    "listing_version_link_insert": ("INSERT OR DELETE", "blog_tags", ""),
    "listing_version_link_update": ("UPDATE", "blog_tags", _changed(_LINK, _PG_DIFFERS)),
}
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION listing_version_bump() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN
        IF current_setting('blogsite.listing_bumped', true) IS DISTINCT FROM '1' THEN
            PERFORM set_config('blogsite.listing_bumped', '1', true);
            {_BUMP};
        END IF;
        RETURN NULL;
    END $$""",
    *(
        f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table}"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        f"{f' WHEN ({when})' if when else ''} EXECUTE FUNCTION listing_version_bump()"
        for name, (event, table, when) in _PG_ROWS.items()
    ),
    # TRUNCATE has no rows (no constraint trigger): it locks the whole table anyway.
    *(
        f"CREATE TRIGGER listing_version_{kind}_truncate AFTER TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION listing_version_bump()"
        for kind, table in (("blog", "blogs"), ("link", "blog_tags"))
    ),
]
POSTGRES_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (_, table, _) in _PG_ROWS.items()),
    "DROP TRIGGER IF EXISTS listing_version_blog_truncate ON blogs",
    "DROP TRIGGER IF EXISTS listing_version_link_truncate ON blog_tags",
    "DROP FUNCTION IF EXISTS listing_version_bump()",
]
_SQLITE_DIFFERS = "old.{c} IS NOT new.{c}"
_SQLITE_EVENTS = {  # SQLite has one writer at a time: nothing to defer
    "blog_insert": "INSERT ON blogs",
    "blog_delete": "DELETE ON blogs",
    "blog_update": f"UPDATE ON blogs WHEN {_changed(_MOVES, _SQLITE_DIFFERS)}",
    "link_insert": "INSERT ON blog_tags",
    "link_delete": "DELETE ON blog_tags",
    "link_update": f"UPDATE ON blog_tags WHEN {_changed(_LINK, _SQLITE_DIFFERS)}",
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
