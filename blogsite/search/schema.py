"""The search index, kept by the database itself: PostgreSQL tsvector + GIN, SQLite FTS5.

Writes from anywhere (pages, console, CLI, bulk statements, raw SQL) reach it through
triggers on ``blogs``, ``blog_tags`` and ``tags``; tags live in a join table, so a generated
column could not see them. The index lives outside the ORM's metadata: it is not a model,
and Alembic's comparison is told to leave it alone (``include_name``).
Migration ``0007_search`` holds a frozen copy of this DDL; ``tests/test_search_schema.py``
checks that both build the same objects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, MetaData, event, inspect, text

TABLE = "blog_search"
LANGUAGE = "english"  # PostgreSQL's text search configuration (stemming, stop words)

_PG_TAGS = (
    "(SELECT string_agg(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id"
    " WHERE bt.blog_id = b.id)"
)
# Title A, tag names B, body C: ts_rank weighs them 1.0, 0.4 and 0.2.
_PG_DOCUMENT = (
    f"setweight(to_tsvector('{LANGUAGE}', b.title), 'A')"
    f" || setweight(to_tsvector('{LANGUAGE}', coalesce({_PG_TAGS}, '')), 'B')"
    f" || setweight(to_tsvector('{LANGUAGE}', b.content), 'C')"
)
# Statement-level triggers with transition tables: a bulk insert of 100,000 blogs (flask
# seed) refreshes them in one set-based statement, not 100,000 function calls.
_PG_TRIGGERS = {  # name: (table, event, transition tables)
    "blog_search_blogs_insert": ("blogs", "INSERT", "NEW TABLE AS new_rows"),
    "blog_search_blogs_update": ("blogs", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "blog_search_links_insert": ("blog_tags", "INSERT", "NEW TABLE AS new_rows"),
    "blog_search_links_delete": ("blog_tags", "DELETE", "OLD TABLE AS old_rows"),
    "blog_search_links_update": (
        "blog_tags", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "blog_search_tags_update": ("tags", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
}  # fmt: skip
POSTGRES = [
    """CREATE TABLE blog_search (
        blog_id integer PRIMARY KEY REFERENCES blogs (id) ON DELETE CASCADE,
        document tsvector NOT NULL)""",
    "CREATE INDEX ix_blog_search_document ON blog_search USING gin (document)",
    f"""CREATE FUNCTION blog_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO blog_search (blog_id, document)
        SELECT b.id, {_PG_DOCUMENT} FROM blogs b WHERE b.id = ANY (ids)
        ON CONFLICT (blog_id) DO UPDATE SET document = EXCLUDED.document
    $$""",
    # Which blogs a statement changed: new ones; a new title or body; a link added, removed or
    # moved (not the status copies tag_copies keeps on blog_tags); a tag's new name.
    """CREATE FUNCTION blog_search_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'blogs' AND TG_OP = 'INSERT' THEN
            PERFORM blog_search_refresh(ARRAY(SELECT id FROM new_rows));
        ELSIF TG_TABLE_NAME = 'blogs' THEN
            PERFORM blog_search_refresh(ARRAY(
                SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.title IS DISTINCT FROM o.title OR n.content IS DISTINCT FROM o.content));
        ELSIF TG_TABLE_NAME = 'tags' THEN
            PERFORM blog_search_refresh(ARRAY(
                SELECT bt.blog_id FROM blog_tags bt JOIN new_rows n ON n.id = bt.tag_id
                JOIN old_rows o ON o.id = n.id WHERE n.name IS DISTINCT FROM o.name));
        ELSIF TG_OP = 'INSERT' THEN
            PERFORM blog_search_refresh(ARRAY(SELECT DISTINCT blog_id FROM new_rows));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM blog_search_refresh(ARRAY(SELECT DISTINCT blog_id FROM old_rows));
        ELSE
            PERFORM blog_search_refresh(ARRAY(SELECT blog_id FROM (
                (SELECT blog_id, tag_id FROM old_rows EXCEPT SELECT blog_id, tag_id FROM new_rows)
                UNION
                (SELECT blog_id, tag_id FROM new_rows EXCEPT SELECT blog_id, tag_id FROM old_rows)
            ) moved));
        END IF;
        RETURN NULL;
    END $$""",
    *(
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables}"
        " FOR EACH STATEMENT EXECUTE FUNCTION blog_search_on_change()"
        for name, (table, event, tables) in _PG_TRIGGERS.items()
    ),
]
POSTGRES_BACKFILL = (
    f"INSERT INTO blog_search (blog_id, document) SELECT b.id, {_PG_DOCUMENT} FROM blogs b"
)
POSTGRES_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (table, *_) in _PG_TRIGGERS.items()),
    "DROP FUNCTION IF EXISTS blog_search_on_change()",
    "DROP FUNCTION IF EXISTS blog_search_refresh(integer[])",
    "DROP TABLE IF EXISTS blog_search",
]

_SQLITE_TAGS = (
    "(SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id"
    " WHERE bt.blog_id = {blog})"
)
_SQLITE_RETAG = f"UPDATE blog_search SET tags = {_SQLITE_TAGS.format(blog='blog_search.rowid')}"
SQLITE = [
    # The rowid is the blog's id. porter: English stemming, as PostgreSQL's configuration.
    """CREATE VIRTUAL TABLE blog_search USING fts5(
        title, tags, body, tokenize = 'porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER blog_search_blog_insert AFTER INSERT ON blogs BEGIN
        INSERT INTO blog_search (rowid, title, tags, body)
        VALUES (new.id, new.title, {_SQLITE_TAGS.format(blog="new.id")}, new.content);
    END""",
    """CREATE TRIGGER blog_search_blog_update AFTER UPDATE OF title, content ON blogs BEGIN
        UPDATE blog_search SET title = new.title, body = new.content WHERE rowid = new.id;
    END""",
    """CREATE TRIGGER blog_search_blog_delete AFTER DELETE ON blogs BEGIN
        DELETE FROM blog_search WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER blog_search_link_insert AFTER INSERT ON blog_tags BEGIN
        {_SQLITE_RETAG} WHERE rowid = new.blog_id;
    END""",
    f"""CREATE TRIGGER blog_search_link_delete AFTER DELETE ON blog_tags BEGIN
        {_SQLITE_RETAG} WHERE rowid = old.blog_id;
    END""",
    f"""CREATE TRIGGER blog_search_link_update AFTER UPDATE OF blog_id, tag_id ON blog_tags BEGIN
        {_SQLITE_RETAG} WHERE rowid IN (old.blog_id, new.blog_id);
    END""",
    # SQLite enforces no foreign keys here: a renamed or deleted tag updates its blogs itself.
    f"""CREATE TRIGGER blog_search_tag_update AFTER UPDATE OF name ON tags BEGIN
        {_SQLITE_RETAG} WHERE rowid IN (SELECT blog_id FROM blog_tags WHERE tag_id = new.id);
    END""",
    f"""CREATE TRIGGER blog_search_tag_delete AFTER DELETE ON tags BEGIN
        {_SQLITE_RETAG} WHERE rowid IN (SELECT blog_id FROM blog_tags WHERE tag_id = old.id);
    END""",
]
SQLITE_BACKFILL = (
    "INSERT INTO blog_search (rowid, title, tags, body) SELECT b.id, b.title, "
    f"{_SQLITE_TAGS.format(blog='b.id')}, b.content FROM blogs b"
)
SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS blog_search_{kind}_{event}"
        for kind, event in (
            *(("blog", e) for e in ("insert", "update", "delete")),
            *(("link", e) for e in ("insert", "delete", "update")),
            *(("tag", e) for e in ("update", "delete")),
        )
    ),
    "DROP TABLE IF EXISTS blog_search",
]


def statements(dialect: str, drop: bool = False) -> list[str]:
    """Return the DDL that builds (or drops) the index on this dialect; [] if unsupported."""
    if dialect == "postgresql":
        return POSTGRES_DROP if drop else POSTGRES
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    return []


def create(target: MetaData, connection: Connection, **kw: Any) -> None:
    """Build the index after ``create_all`` (tests, ``flask init-db``): empty tables."""
    if inspect(connection).has_table(TABLE):
        return  # create_all again on a built database: it creates nothing, nor do we
    for statement in statements(connection.dialect.name):
        connection.execute(text(statement))


def drop(target: MetaData, connection: Connection, **kw: Any) -> None:
    """Drop the index before ``drop_all``: PostgreSQL's references blogs."""
    for statement in statements(connection.dialect.name, drop=True):
        connection.execute(text(statement))


def listen(metadata: MetaData) -> None:
    """Build and drop the index with ``metadata.create_all``/``drop_all`` (once per process)."""
    if not event.contains(metadata, "after_create", create):
        event.listen(metadata, "after_create", create)
        event.listen(metadata, "before_drop", drop)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic: leave the search index's tables (FTS5's shadow tables too) out of comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(TABLE))
