"""Health checks, and the site's behaviour while the database or Redis is away."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import make_url, text

from blogsite import create_app
from blogsite.extensions import db
from blogsite.models import Author, Blog

from .logtools import LogFile, TcpProxy, free_port, wait_for
from .services import require_binary


def test_healthz(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_with_database_and_local_cache(sqlite_config: dict[str, Any]) -> None:
    app = create_app({**sqlite_config, "REDIS_URL": None})
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == {"ok": True}
    assert body["cache"]["status"] == "local"


@pytest.fixture
def default_limit() -> Iterator[str]:
    """A tight default rate limit (each app has its own limiter: nothing to take off)."""
    yield "2 per day"


def test_health_checks_are_never_throttled(
    sqlite_config: dict[str, Any], default_limit: str
) -> None:
    app = create_app({**sqlite_config, "RATELIMIT_DEFAULT": default_limit})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 200
    # The same limit does apply to an ordinary page.
    statuses = [client.get("/feed.xml").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.fixture
def proxied_app(postgres_schema: str, tmp_path: Path) -> Iterator[tuple[Any, TcpProxy, LogFile]]:
    """An app whose PostgreSQL connections run through a proxy the test can cut."""
    url = make_url(postgres_schema)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    logs = LogFile(tmp_path / "outage.log")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": proxied,
            "PROPAGATE_EXCEPTIONS": False,
            "LOG_FILE": str(logs.path),
        }
    )
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield app, proxy, logs
    proxy.close()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_database_outage_is_503_and_recovers(proxied_app: tuple[Any, TcpProxy, LogFile]) -> None:
    """A page that needs the database is a 503 page while it is cut, and both recover.

    A page already in the page cache keeps being served during the outage, by design:
    the cache absorbs reads (it is never stale: a write needs the database anyway).
    """
    app, proxy, logs = proxied_app
    with app.app_context():
        db.session.add(Blog(title="Still here", slug="still-here", content="x",
                            author=Author(name="writer")))  # fmt: skip
        db.session.commit()
    client = app.test_client()
    assert b"Still here" in client.get("/").data  # now in the page cache
    assert client.get("/readyz").status_code == 200

    proxy.cut()
    cached = client.get("/")
    assert cached.status_code == 200 and cached.headers["X-Cache"] == "HIT"
    page = client.get("/blog/still-here/", headers={"X-Request-ID": "db-down-1"})  # never cached
    assert page.status_code == 503
    assert b"db-down-1" in page.data and b"quote this id" in page.data
    assert page.headers["X-Request-ID"] == "db-down-1"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "unavailable"
    assert ready.get_json()["database"]["ok"] is False
    assert client.get("/healthz").status_code == 200  # the process itself is fine
    [warning] = logs.records(txid="db-down-1", level="WARNING", logger="blogsite.errors")
    assert warning["message"] == "database unavailable: OperationalError"

    proxy.restore()  # the database is back: no restart, no intervention
    assert client.get("/readyz").status_code == 200
    page = client.get("/blog/still-here/")
    assert page.status_code == 200 and b"Still here" in page.data


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A redis-server of this test's own, which it may stop and start again."""
    binary = require_binary("redis-server")
    port = free_port()
    server: dict[str, Any] = {"url": f"redis://127.0.0.1:{port}/0"}

    def start() -> None:
        server["process"] = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(server["url"], socket_connect_timeout=0.2)
        assert wait_for(lambda: _pings(client), timeout=10), "redis-server did not start"

    def stop() -> None:
        server["process"].terminate()
        server["process"].wait(10)

    server.update(start=start, stop=stop)
    start()
    yield server
    if server["process"].poll() is None:
        stop()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.mark.redis
def test_readyz_says_degraded_while_redis_is_down(
    own_redis: dict[str, Any], sqlite_config: dict[str, Any]
) -> None:
    app = create_app({**sqlite_config, "REDIS_URL": own_redis["url"]})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert client.get("/readyz").get_json()["cache"]["status"] == "ok"

    own_redis["stop"]()
    response = client.get("/readyz")
    assert response.status_code == 200  # the site still serves, from the database
    body = response.get_json()
    assert body["status"] == "degraded" and body["cache"]["status"] == "degraded"
    assert body["database"] == {"ok": True}

    own_redis["start"]()
    # At once, not a breaker retry interval later: the probe itself closes the circuit.
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["cache"]["breaker"] == "closed"
