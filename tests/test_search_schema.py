"""Migration 0007 builds the search index, backfills it, and builds what create_all builds."""

from __future__ import annotations

from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from blogsite import create_app
from blogsite.extensions import db
from blogsite.search import schema

from .test_migrations import empty_database  # noqa: F401  (the fixture: both databases)

OBJECTS = {
    "sqlite": "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'blog_search%'"
    " ORDER BY type, name",
    "postgresql": "SELECT 'function', proname, prosrc FROM pg_proc WHERE proname LIKE"
    " 'blog_search%' UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM"
    " pg_trigger WHERE tgname LIKE 'blog_search%' UNION ALL SELECT 'index', indexname,"
    " indexdef FROM pg_indexes WHERE tablename = 'blog_search' ORDER BY 1, 2",
}


def objects(conn: Any) -> list[tuple[str, ...]]:
    return [tuple(row) for row in conn.execute(text(OBJECTS[conn.dialect.name]))]


def search(client: Any, q: str) -> str:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    db.session.remove()  # the request shared the test's app context: end its transaction
    return response.get_data(as_text=True)


def test_migration_backfills_builds_what_create_all_does_and_downgrades(empty_database):  # noqa: F811
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database, "CACHE_ENABLED": False}
    app = create_app(config)
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO authors (id, name, bio) VALUES (1, 'A', '')"))
            conn.execute(
                text(
                    "INSERT INTO tags (id, name, slug, created_at, updated_at)"
                    " VALUES (1, 'gardening', 'gardening', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO blogs (id, title, slug, content, status, author_id, created_at,"
                    " updated_at) VALUES (1, 'Old tomatoes', 'old', 'Pruned early', 'published', 1,"
                    " '2026-01-02', '2026-01-02')"
                )
            )
            conn.execute(
                text("INSERT INTO blog_tags (blog_id, tag_id, status) VALUES (1, 1, 'published')")
            )
        upgrade()
        client = app.test_client()
        for word in ("tomatoes", "gardening", "pruned"):
            assert "/blog/old/" in search(client, word), word
        with db.engine.connect() as conn:
            migrated = objects(conn)
        assert len(migrated) >= 4
        # Written after the migration: the triggers keep the index in step.
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE blogs SET content = 'Watered late' WHERE id = 1"))
        assert "/blog/old/" in search(client, "watered")
        assert "/blog/old/" not in search(client, "pruned")
        downgrade(revision="0005")
        tables = set(inspect(db.engine).get_table_names())
        assert not {t for t in tables if t.startswith("blog_search")}
        with db.engine.begin() as conn:  # no trigger left behind to fail a write
            conn.execute(text("UPDATE blogs SET title = 'Still here' WHERE id = 1"))
            assert objects(conn) == []
            for table in ("blog_tags", "blogs", "tags", "authors"):
                conn.execute(text(f"DELETE FROM {table}"))
        upgrade()
        with db.engine.begin() as conn:  # the same objects as create_all's (schema.py)
            for drop in (True, False):
                for statement in schema.statements(conn.dialect.name, drop=drop):
                    conn.execute(text(statement))
            assert objects(conn) == migrated
        db.engine.dispose()
