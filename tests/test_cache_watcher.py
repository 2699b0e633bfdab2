"""Generations pushed by Redis: hits without a round trip, never stale, calm when Redis hangs."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
import redis
from sqlalchemy import select

from blogsite import create_app
from blogsite.caching.generations import EXTENSION
from blogsite.caching.watcher import GenerationWatcher
from blogsite.extensions import db
from blogsite.models import Blog

from .servers import RedisServer, wait_until
from .services import require_binary

# Redis is what is tested here; one database (SQLite) is enough.
pytestmark = pytest.mark.redis
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PAGE = "/blog/alpha/"
TRUST = 0.5


@pytest.fixture
def app_config(app_config: dict[str, Any], own_redis: RedisServer) -> dict[str, Any]:
    return app_config | {
        "REDIS_URL": own_redis.url,
        "CACHE_RETRY_SECONDS": 1.0,
        "CACHE_WATCH_TRUST_SECONDS": TRUST,
    }


def commands(server: RedisServer) -> int:
    return int(server.client().info("stats")["total_commands_processed"])


def rename(app: Any, title: str) -> None:
    with app.app_context():
        db.session.scalar(select(Blog)).title = title
        db.session.commit()


def warm(client: Any) -> None:
    """Load the page until this app serves it from memory on pushed generations."""
    for _ in range(3):
        client.get(PAGE)
    assert client.get(PAGE).headers["X-Cache"] == "HIT"


@SQLITE
def test_hits_send_nothing_and_every_write_shows_at_once(app, app_config, make_blog, own_redis):
    """Another app (its own connections, as another worker) writes; the reader never lags."""
    make_blog("Alpha", author_name="writer")
    reader, writer = app.test_client(), create_app(app_config)
    warm(reader)
    before, started = commands(own_redis), time.monotonic()
    for _ in range(50):
        assert reader.get(PAGE).headers["X-Cache"] == "HIT"
    seconds = time.monotonic() - started
    # 50 hits; what Redis saw is the heartbeat (every TRUST / 4) and the hit counts (a
    # pipeline of two INCRBY every half second), not one read per hit. Each ticks whole
    # times: a window shorter than its period can still hold one tick (CI: 0.08 s held 2).
    ticks = math.ceil(seconds / (TRUST / 4)) + 2 * math.ceil(seconds / 0.5)
    assert commands(own_redis) - before - 1 <= 3 + ticks
    for n in range(20):
        rename(writer, f"Edition {n}")
        response = reader.get(PAGE)
        assert f"Edition {n}</" in response.text, n
        assert response.headers["X-Cache"] == "MISS"
        assert reader.get(PAGE).headers["X-Cache"] == "HIT"


@SQLITE
def test_a_hung_redis_is_trusted_no_longer_than_the_trust_window(
    app, app_config, make_blog, own_redis
):
    """SIGSTOP: pushes and pongs stop; after TRUST the reader checks, times out, goes to the DB."""
    make_blog("Alpha", author_name="writer")
    reader, writer = app.test_client(), create_app(app_config)
    warm(reader)
    own_redis.pause()
    try:
        rename(writer, "Written while Redis hung")  # its invalidation cannot be delivered
        written = time.monotonic()
        fresh_at = None
        while time.monotonic() - written < 5:
            response = reader.get(PAGE)
            assert response.status_code == 200
            if "Written while Redis hung" in response.text:
                fresh_at = time.monotonic() - written
                break
            time.sleep(0.02)
        # At most the trust window, then one read's timeouts (0.25 s, one retry) open the
        # breaker; a second of slack for a busy machine.
        assert fresh_at is not None and fresh_at < TRUST + 2 * 0.25 + 1.0, fresh_at
        assert not app.extensions[EXTENSION].breaker.is_closed
    finally:
        own_redis.resume()


@SQLITE
def test_an_idle_worker_does_not_trust_an_old_answer(app, app_config, make_blog, own_redis):
    """The last heartbeat's answer waits unread while the worker is idle; Redis then hangs.
    Reading that answer later must not make the copy trusted again."""
    make_blog("Alpha", author_name="writer")
    reader, writer = app.test_client(), create_app(app_config)
    warm(reader)
    time.sleep(TRUST + 0.2)  # idle: the heartbeat sent by the last hit is answered, unread
    own_redis.pause()
    try:
        rename(writer, "Written while Redis hung")
        response = reader.get(PAGE)
        assert response.status_code == 200
        assert "Written while Redis hung" in response.text
    finally:
        own_redis.resume()


def test_a_demoted_master_is_not_trusted(own_redis, tmp_path):
    """Behind Sentinel the heartbeat is ROLE: once this server becomes a replica, the copy
    is dropped and hits fetch the generations (from the new master) again."""
    other = RedisServer(require_binary("redis-server"), tmp_path / "other")
    (tmp_path / "other").mkdir()
    other.start()
    pool = redis.ConnectionPool.from_url(own_redis.url, socket_timeout=1)
    watcher = GenerationWatcher(
        lambda: pool.make_connection(), "p:gen:", retry_seconds=60, heartbeat=("ROLE",),
        heartbeat_seconds=0.05,
    )  # fmt: skip
    try:
        _, epoch = watcher.lookup(["p:gen:all"])
        watcher.remember([("p:gen:all", "g1")], epoch)
        assert watcher.lookup(["p:gen:all"])[0] == ["g1"]
        for _ in range(3):  # heartbeats go out and come back "master": still trusted
            time.sleep(0.06)
            assert watcher.lookup(["p:gen:all"])[0] == ["g1"]
        own_redis.client().replicaof("127.0.0.1", other.port)
        time.sleep(0.1)
        wait_until(lambda: watcher.lookup(["p:gen:all"])[0] is None, timeout=2, what="distrust")
        assert watcher.lookup(["p:gen:all"])[0] is None  # and it stays down until a retry
    finally:
        watcher.close()
        pool.disconnect()
        own_redis.client().replicaof("NO", "ONE")
        other.stop()


@SQLITE
def test_a_flushed_database_drops_every_generation(app, make_blog, own_redis):
    make_blog("Alpha", author_name="writer")
    reader = app.test_client()
    warm(reader)
    own_redis.client().flushdb()  # our own server: nobody else's keys
    assert reader.get(PAGE).headers["X-Cache"] == "MISS"
    assert reader.get(PAGE).headers["X-Cache"] == "HIT"


@SQLITE
def test_after_a_restart_hits_are_pushed_again(app, make_blog, own_redis):
    make_blog("Alpha", author_name="writer")
    reader = app.test_client()
    warm(reader)
    own_redis.shutdown_keeping_data()
    assert reader.get(PAGE).status_code == 200
    own_redis.start()
    breaker = app.extensions[EXTENSION].breaker

    def commands_for_ten_hits() -> int:
        before = commands(own_redis)
        for _ in range(10):
            assert reader.get(PAGE).headers["X-Cache"] == "HIT"
        return commands(own_redis) - before - 1

    # The breaker closes after its retry interval, the watcher reconnects after its own.
    def recovered() -> bool:
        reader.get(PAGE)  # requests run the breaker's trial
        return breaker.is_closed and commands_for_ten_hits() < 4

    wait_until(recovered, timeout=6, what="hits without round trips")


def test_generations_fetched_across_an_invalidation_are_not_kept(own_redis):
    """A reader fetches a generation, a writer bumps it, and the push is read (by another
    thread) before the reader stores what it fetched: the old value must not be kept."""
    client = own_redis.client()
    client.set("p:gen:all", "old")
    pool = redis.ConnectionPool.from_url(own_redis.url, socket_timeout=1)
    watcher = GenerationWatcher(lambda: pool.make_connection(), "p:gen:", retry_seconds=1)
    try:
        assert watcher.lookup(["p:gen:all"])[0] is None  # connects; knows nothing yet
        _, epoch = watcher.lookup(["p:gen:all"])
        fetched = client.get("p:gen:all").decode()
        client.set("p:gen:all", "new")
        wait_until(lambda: watcher.lookup([])[1] != epoch, timeout=2, what="the push")
        watcher.remember([("p:gen:all", fetched)], epoch)
        assert watcher.lookup(["p:gen:all"])[0] is None
        # Fetched with no invalidation in between: kept, and used until the next bump.
        _, epoch = watcher.lookup(["p:gen:all"])
        watcher.remember([("p:gen:all", "new")], epoch)
        assert watcher.lookup(["p:gen:all"])[0] == ["new"]
        client.set("p:gen:all", "newer")
        wait_until(lambda: watcher.lookup(["p:gen:all"])[0] is None, timeout=2, what="the push")
        client.set("p:other", "x")  # outside the prefix: no push, nothing dropped
        _, epoch = watcher.lookup([])
        watcher.remember([("p:gen:all", "newer")], epoch)
        client.set("p:other", "y")
        assert watcher.lookup(["p:gen:all"])[0] == ["newer"]
    finally:
        watcher.close()
        pool.disconnect()


def test_trust_counts_from_when_the_heartbeat_was_sent(own_redis):
    """An answer read late proves only that Redis was alive when its heartbeat went out."""
    pool = redis.ConnectionPool.from_url(own_redis.url, socket_timeout=1)
    watcher = GenerationWatcher(
        lambda: pool.make_connection(), "p:gen:", retry_seconds=60,
        heartbeat_seconds=0.05, trust_seconds=0.3,
    )  # fmt: skip
    try:
        _, epoch = watcher.lookup(["p:gen:all"])
        watcher.remember([("p:gen:all", "g1")], epoch)
        time.sleep(0.06)
        assert watcher.lookup(["p:gen:all"])[0] == ["g1"]  # sends a heartbeat
        time.sleep(0.4)  # its answer arrives and waits, unread, past the trust window
        own_redis.pause()
        assert watcher.lookup(["p:gen:all"])[0] is None
    finally:
        own_redis.resume()
        watcher.close()
        pool.disconnect()
