"""Pooled PostgreSQL connections: a connection the server dropped (as a restart drops every
one) is replaced before a page uses it, and a healthy one costs no ping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url, text

from blogsite import create_app
from blogsite.extensions import db
from blogsite.models import Author, Blog


@pytest.fixture
def named_app(postgres_schema: str) -> Iterator[tuple[Any, str]]:
    """A caching-off app whose connections carry a name of their own (to end them by)."""
    name = f"liveness-{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": postgres_schema,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"application_name": name}},
            "CACHE_ENABLED": False,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.add(Blog(title="Alive", slug="alive", content="x", author=Author(name="w")))
        db.session.commit()
    yield app, name
    with app.app_context():
        db.engine.dispose()


def end_connections(url: str, name: str) -> int:
    """End every server connection called ``name``, as a restart does; return how many."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        query = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s"
        ended = len(admin.execute(query, [name]).fetchall())
        left = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
        deadline = time.monotonic() + 10
        while admin.execute(left, [name]).fetchone() != (0,) and time.monotonic() < deadline:
            time.sleep(0.02)
    return ended


@pytest.mark.postgres
def test_connections_the_server_dropped_are_replaced_unseen(
    named_app: tuple[Any, str], postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, name = named_app
    with app.app_context():
        dialect = db.engine.dialect
    pings: list[Any] = []
    ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
    client = app.test_client()
    for _ in range(3):
        assert b"Alive" in client.get("/").data
        assert client.get("/blog/alive/").status_code == 200
    assert pings == []  # a healthy pooled connection is used as it is: no round trip

    assert end_connections(postgres_schema, name) >= 1
    page = client.get("/blog/alive/")  # no 503: the dead connection never reaches the page
    assert page.status_code == 200 and b"Alive" in page.data
    assert len(pings) == 1  # the socket said it was closed; the one ping confirmed it
    assert b"Alive" in client.get("/").data
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
