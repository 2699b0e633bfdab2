"""``flask db upgrade`` builds the schema from nothing, and matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from blogsite import create_app
from blogsite.extensions import db
from blogsite.search.schema import include_name

from .services import require_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite'}"
        return
    base = create_engine(require_postgres(), isolation_level="AUTOCOMMIT")
    name = f"blogsite_migrate_{tmp_path.name[-8:].lower().replace('-', '_')}"
    with base.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.url.set(database=name).render_as_string(hide_password=False)
    with base.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    base.dispose()


def test_upgrade_from_nothing_matches_the_models(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "authors", "blogs", "tags", "cover_images", "blog_tags"} <= tables
        with db.engine.connect() as conn:
            # The search index is no model (blogsite/search/schema.py): as env.py, leave it out.
            opts = {"compare_type": True, "include_name": include_name}
            context = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        db.engine.dispose()


def test_cli_upgrade_then_seed(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "updated blog title" in app.test_client().get("/").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_sessions_migration_downgrades_and_upgrades_again(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        assert "user_sessions" in inspect(db.engine).get_table_names()
        downgrade(revision="0002")
        tables = set(inspect(db.engine).get_table_names())
        assert "user_sessions" not in tables and "audit_entries" in tables
        upgrade()
        columns = {c["name"] for c in inspect(db.engine).get_columns("user_sessions")}
        assert {"token_hash", "user_id", "created_at", "last_seen_at", "user_agent"} <= columns
        db.engine.dispose()


def test_tag_copies_migration_backfills_and_downgrades(empty_database):
    """0005 copies existing blogs' status and created_at onto blog_tags; down drops them."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO authors (id, name, bio) VALUES (1, 'A', '')"))
            conn.execute(
                text(
                    "INSERT INTO tags (id, name, slug, created_at, updated_at)"
                    " VALUES (1, 't', 't', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO blogs (id, title, slug, content, status, author_id,"
                    " created_at, updated_at) VALUES (1, 'B', 'b', 'x', 'draft', 1,"
                    " '2026-01-02 03:04:05+00:00', '2026-01-02 03:04:05+00:00')"
                )
            )
            conn.execute(text("INSERT INTO blog_tags (blog_id, tag_id) VALUES (1, 1)"))
        upgrade()
        with db.engine.connect() as conn:
            status, created = conn.execute(text("SELECT status, created_at FROM blog_tags")).one()
        assert status == "draft" and str(created).startswith("2026-01-02 03:04:05")
        downgrade(revision="0004")
        columns = {c["name"] for c in inspect(db.engine).get_columns("blog_tags")}
        assert columns == {"blog_id", "tag_id"}
        upgrade()
        db.engine.dispose()
