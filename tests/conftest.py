"""Fixtures: an app on a fresh database per test (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text

from blogsite import create_app
from blogsite.extensions import db
from blogsite.models import Author, Blog, Tag
from blogsite.users import create_user

from .cache_keys import delete_prefix
from .logtools import log_file, sqlite_config  # noqa: F401  (the logging tests' fixtures)
from .private_servers import PrivateServers
from .servers import RedisServer
from .services import require_binary, require_redis, service_summary, throwaway_postgres

DEFAULT_PHONE = "+819012345678"
DEFAULT_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """Create a throwaway PostgreSQL database for this test run and drop it after."""
    with throwaway_postgres("test") as url:
        yield url


@pytest.fixture(scope="session")
def postgres_schema(postgres_server_url: str) -> str:
    """Build the schema once on the run's PostgreSQL database."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": postgres_server_url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return postgres_server_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("postgres_schema")


@pytest.fixture(autouse=True)
def cache_key_prefix(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Give every app a test creates (subprocesses too) its own Redis keys; delete them after."""
    prefix = f"test-{uuid.uuid4().hex}:"
    throttle_prefix = f"test-throttle-{uuid.uuid4().hex}"
    monkeypatch.setenv("BLOGSITE_CACHE_KEY_PREFIX", prefix)
    monkeypatch.setenv("BLOGSITE_THROTTLE_KEY_PREFIX", throttle_prefix)
    yield prefix
    delete_prefix(prefix)
    delete_prefix(throttle_prefix)


@pytest.fixture
def app_config(database_url: str, cache_key_prefix: str, tmp_path: Any) -> dict[str, Any]:
    """The test configuration; tests may change it before asking for ``app``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        # Each test counts in its own throttle budgets and cache keys, even on a shared Redis.
        "THROTTLE_KEY_PREFIX": os.environ["BLOGSITE_THROTTLE_KEY_PREFIX"],
        "CACHE_KEY_PREFIX": cache_key_prefix,
        "MEDIA_URL": f"file://{tmp_path / 'media'}",  # never the project's instance/media
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Any]:
    app = create_app(app_config)
    with app.app_context():
        if app_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            db.create_all()
        else:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def redis_url() -> str:
    """The URL of a reachable Redis (skips, or fails under CI, without one)."""
    return require_redis()


@pytest.fixture
def make_user(app: Any) -> Any:
    """Create and commit a user (with an author profile); returns its id."""

    def make(phone_no: str = DEFAULT_PHONE, password: str = DEFAULT_PASSWORD, **kwargs: Any) -> int:
        with app.app_context():
            user = create_user(phone_no, password, name=kwargs.pop("name", "Reader"), **kwargs)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def make_blog(app: Any) -> Any:
    """Create and commit a blog; returns its slug."""

    def make(title: str = "A blog", author_name: str = "writer", **kwargs: Any) -> str:
        with app.app_context():
            author = db.session.scalar(db.select(Author).filter_by(name=author_name))
            if author is None:
                author = Author(name=author_name, email=f"{author_name}@example.com")
            tags = [
                db.session.scalar(db.select(Tag).filter_by(name=name)) or Tag(name=name, slug=name)
                for name in kwargs.pop("tags", [])
            ]
            slug = kwargs.pop("slug", title.lower().replace(" ", "-"))
            blog = Blog(title=title, slug=slug, content=kwargs.pop("content", "Some *text*."),
                        author=author, tags=tags, **kwargs)  # fmt: skip
            db.session.add(blog)
            db.session.commit()
            return blog.slug

    return make


class AuthActions:
    def __init__(self, client: Any, make_user: Any) -> None:
        self._client = client
        self._make_user = make_user

    def login(self, phone_no: str = DEFAULT_PHONE, password: str = DEFAULT_PASSWORD) -> Any:
        return self._client.post("/auth/login", data={"phone_no": phone_no, "password": password})

    def logout(self) -> Any:
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client: Any, make_user: Any) -> AuthActions:
    return AuthActions(client, make_user)


@contextmanager
def count_queries(app: Any) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


PRIVATE = PrivateServers()


def pytest_configure(config: pytest.Config) -> None:
    """With no URL set, start private servers from installed binaries, before collection."""
    # Set in os.environ now: the checks, and the gunicorn processes tests start, read it.
    if not (config.option.collectonly or config.option.help):
        PRIVATE.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    PRIVATE.stop()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return PRIVATE.notes


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly which services were missing and what was skipped for it."""
    for line in service_summary(terminalreporter.stats.get("skipped", [])):
        terminalreporter.write_line(line, yellow=True)
    for note in PRIVATE.notes:
        terminalreporter.write_line(note)


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[RedisServer]:
    """A redis-server of our own, which the test may stop, hang and restart."""
    server = RedisServer(require_binary("redis-server"), tmp_path).start()
    yield server
    server.stop()
