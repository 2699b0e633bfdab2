"""Settings of the Redis connections and of the cache on Redis, each seen changing behaviour."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from sqlalchemy import select

from blogsite import caching, create_app
from blogsite.blog import queries
from blogsite.extensions import db
from blogsite.models import Blog

from .cache_keys import prefix_keys
from .conftest import count_queries
from .redis_faults import FaultyProxy, blackhole
from .servers import RedisServer, free_port, wait_until
from .services import require_binary

# Redis is under test, not the database: SQLite keeps these short.
pytestmark = [pytest.mark.redis, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PAGE = "/blog/alpha/"


def rename(app: Any, title: str) -> None:
    with app.app_context():
        db.session.scalar(select(Blog)).title = title
        db.session.commit()


def author_reads(app: Any) -> int:
    """Read one author's blogs through the cache; return how many SQL queries it took."""
    with app.app_context(), count_queries(app) as statements:
        queries.get_all_blogs(1)
    return len(statements)


def test_redis_connect_timeout_bounds_a_connect_that_hangs(app, app_config):
    with blackhole() as port:
        url = f"redis://127.0.0.1:{port}/0"
        took = {}
        for seconds in (0.2, 1.0):
            config = {"REDIS_URL": url, "REDIS_CONNECT_TIMEOUT": seconds, "REDIS_RETRIES": 0}
            runner = create_app(app_config | config | {"REDIS_SOCKET_TIMEOUT": 5}).test_cli_runner()
            started = time.monotonic()
            result = runner.invoke(args=["cache", "print"])
            took[seconds] = time.monotonic() - started
            assert result.exit_code == 1 and "Timeout connecting" in result.output
    # Each waited its own timeout, and the setting is what made them differ. The upper bound
    # is the 5 s socket timeout it must cut short, with room for a loaded CI machine (a
    # bound of 1.5 s for the 1 s timeout once failed there at 1.53 s).
    assert took[0.2] >= 0.2 and took[1.0] >= 1.0, took
    assert took[1.0] - took[0.2] > 0.4 and took[1.0] < 3.0, took


def test_redis_retries_is_how_often_a_dropped_call_is_sent_again(
    app, app_config, make_blog, own_redis
):
    """A proxy hangs up on the author's cached read: each retry is one more attempt."""
    make_blog("Alpha", author_name="writer")
    proxy = FaultyProxy(own_redis.port, marker=b"get_all_blogs")
    try:
        # (retries, calls dropped) -> (attempts, served from the cache)
        for (retries, drops), outcome in {(0, 1): (1, False), (3, 3): (4, True),
                                          (3, 9): (4, False)}.items():  # fmt: skip
            config = {"REDIS_URL": proxy.url, "REDIS_RETRIES": retries}
            settings = app_config | config | {"CACHE_WATCH_GENERATIONS": False}
            author_reads(create_app(settings))  # stored
            # Another worker, with no copy of its own, so the read goes to Redis.
            reader = create_app(settings)
            proxy.drops, proxy.seen = drops, 0
            hit = author_reads(reader) == 0
            assert (proxy.seen, hit) == outcome, (retries, drops)
    finally:
        proxy.close()


def test_redis_sentinel_password_opens_sentinels_that_require_one(app_config, make_blog, tmp_path):
    binary = require_binary("redis-server")
    master = RedisServer(binary, tmp_path).start()
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\nrequirepass sentinel-secret\n"
        f"sentinel monitor blogmaster 127.0.0.1 {master.port} 1\n"
    )
    sentinel = subprocess.Popen([binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL)
    try:
        probe = redis.Redis(port=port, password="sentinel-secret", socket_timeout=2)
        wait_until(lambda: probe.sentinel_get_master_addr_by_name("blogmaster"), what="sentinel")
        make_blog("Alpha", author_name="writer")
        config = app_config | {
            "REDIS_URL": None,
            "REDIS_SENTINELS": f"127.0.0.1:{port}",
            "REDIS_SENTINEL_MASTER": "blogmaster",
        }
        # The Sentinel refuses a client without the password (through the app that is a
        # slow failure: redis-py retries a refused discovery with backoff, about 4 s).
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, socket_timeout=2, retry=None).sentinel_masters()
        app = create_app(config | {"REDIS_SENTINEL_PASSWORD": "sentinel-secret"})
        client = app.test_client()
        assert client.get(PAGE).headers["X-Cache"] == "MISS"
        assert client.get(PAGE).headers["X-Cache"] == "HIT"
        with app.app_context():
            assert caching.cache_status()["reachable"] is True
        assert master.client().keys(config["CACHE_KEY_PREFIX"] + "page:*")
    finally:
        sentinel.terminate()
        sentinel.wait(10)
        master.stop()


def redis_ttls(redis_url: str, prefix: str, pattern: str) -> dict[str, int]:
    client = redis.Redis.from_url(redis_url)
    return {
        key.decode().removeprefix(prefix): client.ttl(key)
        for key in prefix_keys(client, prefix + pattern)
    }


def test_cache_default_timeout_is_the_ttl_of_cached_values(app, app_config, make_blog, redis_url):
    make_blog("Alpha", author_name="writer")
    app = create_app(app_config | {"REDIS_URL": redis_url, "CACHE_DEFAULT_TIMEOUT": 1234})
    app.test_client().get(PAGE)
    author_reads(app)
    prefix = app_config["CACHE_KEY_PREFIX"]
    ttls = redis_ttls(redis_url, prefix, "page:") | redis_ttls(redis_url, prefix, "q:")
    # An HTML page holds absolute URLs (canonical, OpenGraph): keyed by its origin too.
    assert "page:blog.detail:slug=alpha@http://localhost" in ttls and len(ttls) >= 2
    assert all(1200 < ttl <= 1234 for ttl in ttls.values()), ttls


def test_cache_generation_timeout_is_the_ttl_of_a_bumped_generation(
    app, app_config, make_blog, redis_url
):
    make_blog("Alpha", author_name="writer")
    timeouts = {"CACHE_GENERATION_TIMEOUT": 777, "CACHE_DEFAULT_TIMEOUT": 3333}
    app = create_app(app_config | {"REDIS_URL": redis_url} | timeouts)
    app.test_client().get(PAGE)  # sets gen:all and gen:blog:alpha, first seen
    rename(app, "Renamed")  # bumps the blog's, its author's and the lists' generations
    ttls = redis_ttls(redis_url, app_config["CACHE_KEY_PREFIX"], "gen:")
    assert 3300 < ttls.pop("gen:all") <= 3333
    assert {"gen:blog:alpha", "gen:author:1", "gen:lists"} <= set(ttls)
    assert all(700 < ttl <= 777 for ttl in ttls.values()), ttls


def test_cache_lock_seconds_is_how_long_a_waiter_waits_for_the_holder(
    app, app_config, make_blog, redis_url
):
    """A worker died holding the lock of a cold key: others compute it themselves after
    CACHE_LOCK_SECONDS (the lock itself expires then too)."""
    make_blog("Alpha", author_name="writer")
    prefix, client = app_config["CACHE_KEY_PREFIX"], redis.Redis.from_url(redis_url)
    took = {}
    for seconds in (0.2, 1.0):
        app = create_app(app_config | {"REDIS_URL": redis_url, "CACHE_LOCK_SECONDS": seconds})
        author_reads(app)
        [key] = redis_ttls(redis_url, prefix, "q:")
        with app.app_context():
            queries.get_all_blogs.invalidate(1)  # cold again
        client.set(f"{prefix}lock:{key}", b"1", ex=60)  # held by a worker that died
        started = time.monotonic()
        assert author_reads(app) > 0  # computed here, after waiting
        took[seconds] = time.monotonic() - started
        client.delete(f"{prefix}lock:{key}")
    # Each waited its own timeout, and the setting is what made them differ. The upper bound
    # is the 5 s socket timeout it must cut short, with room for a loaded CI machine (a
    # bound of 1.5 s for the 1 s timeout once failed there at 1.53 s).
    assert took[0.2] >= 0.2 and took[1.0] >= 1.0, took
    assert took[1.0] - took[0.2] > 0.4 and took[1.0] < 3.0, took


def redis_commands(server: RedisServer, work: Callable[[], None]) -> int:
    """Return how many commands Redis ran during ``work`` (our INFO excluded)."""
    probe = server.client()
    before = int(probe.info("stats")["total_commands_processed"])
    work()
    return int(probe.info("stats")["total_commands_processed"]) - before - 1


def hits_cost(app_config: dict[str, Any], server: RedisServer, **settings: Any) -> int:
    """Return the Redis commands 50 page hits cost on a worker with ``settings``."""
    client = create_app(app_config | {"REDIS_URL": server.url, **settings}).test_client()
    for _ in range(3):
        client.get(PAGE)

    def hits() -> None:
        for _ in range(50):
            assert client.get(PAGE).headers["X-Cache"] == "HIT"

    return redis_commands(server, hits)


def test_cache_page_memory_bytes_0_reads_every_hit_from_redis(
    app, app_config, make_blog, own_redis
):
    make_blog("Alpha", author_name="writer")
    # Held in memory, a hit is checked against pushed generations: heartbeats and counts only.
    assert hits_cost(app_config, own_redis) < 25
    assert hits_cost(app_config, own_redis, CACHE_PAGE_MEMORY_BYTES=0) >= 50


def test_cache_page_memory_item_bytes_keeps_big_pages_out_of_memory(
    app, app_config, make_blog, own_redis
):
    make_blog("Alpha", author_name="writer", content="Some words. " * 300)  # a page of 5 KB+
    assert hits_cost(app_config, own_redis, CACHE_PAGE_MEMORY_ITEM_BYTES=64 * 1024) < 25
    assert hits_cost(app_config, own_redis, CACHE_PAGE_MEMORY_ITEM_BYTES=4 * 1024) >= 50


def test_cache_watch_trust_seconds_is_how_long_silence_is_trusted(
    app, app_config, make_blog, own_redis
):
    """The watcher's connection goes silent (pushes lost) while Redis still answers: a
    worker serves its copy while it trusts the generations, CACHE_WATCH_TRUST_SECONDS
    after the last heartbeat it heard, then fetches them and sees the write."""
    make_blog("Alpha", author_name="writer")
    proxy = FaultyProxy(own_redis.port)
    try:
        config = app_config | {"REDIS_URL": proxy.url}
        readers = {trust: create_app(config | {"CACHE_WATCH_TRUST_SECONDS": trust}).test_client()
                   for trust in (0.3, 1.6)}  # fmt: skip
        for reader in readers.values():
            for _ in range(3):
                reader.get(PAGE)
            assert reader.get(PAGE).headers["X-Cache"] == "HIT"
        proxy.stall_watchers = True
        silent = time.monotonic()
        rename(create_app(app_config | {"REDIS_URL": own_redis.url}), "Written unheard")
        fresh_at: dict[float, float] = {}
        while len(fresh_at) < 2 and time.monotonic() - silent < 4:
            for trust, reader in readers.items():
                if trust not in fresh_at and "Written unheard" in reader.get(PAGE).text:
                    fresh_at[trust] = time.monotonic() - silent
            time.sleep(0.01)
    finally:
        proxy.close()
    # Trust runs from the last heartbeat heard, sent every trust / 4 while hits come.
    assert fresh_at[0.3] < 0.3 + 0.4 and 0.75 * 1.6 <= fresh_at[1.6] < 1.6 + 0.4, fresh_at
