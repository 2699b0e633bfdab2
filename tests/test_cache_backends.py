"""Backend choice (Redis, Sentinel, Cluster, in-process, off) and ``flask cache``."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from blogsite import caching, create_app
from blogsite.blog import queries
from blogsite.caching.store import COUNT_FLUSH_SECONDS
from blogsite.config import ConfigError

from .cache_keys import prefix_keys
from .conftest import count_queries
from .servers import RedisServer, free_port, wait_until
from .services import require_binary

AUTO = "/blog/blogs_auto_invalidation/?author_id=1"
# Redis topology is under test, not the database: one database keeps CI short.
ONE_DATABASE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def caching_warnings(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "blogsite.caching"]


def test_without_redis_an_in_process_cache_says_so_once(app_config, app, caplog):
    caplog.set_level(logging.WARNING, "blogsite.caching")
    caplog.clear()
    app = create_app(app_config | {"REDIS_URL": None})
    warnings = caching_warnings(caplog)
    assert len(warnings) == 1 and "Each worker has its own cache" in warnings[0]
    client = app.test_client()
    assert client.get("/").headers["X-Cache"] == "MISS"
    assert client.get("/").headers["X-Cache"] == "HIT"
    with app.app_context():
        status = caching.cache_status()
    assert status["backend"] == "SimpleCache" and status["reachable"] is True
    assert status["hits"] >= 1 and status["memory"] is None
    assert len(caching_warnings(caplog)) == 1


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_cache_enabled_0_turns_every_cache_off(app_config, make_blog, monkeypatch, app, value):
    make_blog("Alpha", author_name="writer")
    monkeypatch.setenv("BLOGSITE_CACHE_ENABLED", value)
    off = create_app(app_config)
    client = off.test_client()
    for _ in range(2):
        response = client.get(AUTO)
        assert response.status_code == 200 and "X-Cache" not in response.headers
    with off.app_context():
        with count_queries(off) as statements:
            queries.get_all_blogs(1), queries.get_all_blogs(1)
        assert len([s for s in statements if "blogs.author_id =" in s]) == 2
        assert caching.cache_status()["backend"] == "NullCache"
        caching.invalidate_all()  # harmless no-ops
        caching.invalidate_author(1)
    result = off.test_cli_runner().invoke(args=["cache", "print"])
    assert result.exit_code == 0 and "caching is off" in result.output


@pytest.mark.parametrize(
    ("setting", "value"),
    [("REDIS_SENTINELS", "nonsense"), ("REDIS_SENTINELS", "host:port"), ("REDIS_CLUSTER", ":1")],
)
def test_malformed_node_lists_are_a_clear_config_error(app_config, setting, value):
    with pytest.raises(ConfigError, match=f"BLOGSITE_{setting} must be host:port"):
        create_app(app_config | {setting: value})


def test_a_cluster_down_at_start_up_does_not_stop_the_site(app_config, make_blog, caplog):
    make_blog("Alpha", author_name="writer")
    port = free_port()  # nothing listens there
    config = app_config | {"REDIS_CLUSTER": f"127.0.0.1:{port}", "CACHE_RETRY_SECONDS": 60}
    app = create_app(config)
    assert any("Redis Cluster unreachable" in m for m in caching_warnings(caplog))
    client = app.test_client()
    for _ in range(3):
        response = client.get(AUTO)
        assert response.status_code == 200 and response.headers["X-Cache"] == "MISS"
    with app.app_context():
        status = caching.cache_status()
    assert status["reachable"] is False and status["breaker"] == "open"


@pytest.mark.redis
@pytest.mark.slow
@ONE_DATABASE
def test_sentinel_finds_the_master(app_config, make_blog, tmp_path: Path):
    binary = require_binary("redis-server")
    master = RedisServer(binary, tmp_path).start()
    sentinel_port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor blogmaster 127.0.0.1 {master.port} 1\n"
    )
    sentinel = subprocess.Popen([binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL)
    try:
        probe = redis.Redis(port=sentinel_port, socket_timeout=2)
        wait_until(lambda: probe.sentinel_get_master_addr_by_name("blogmaster"), what="sentinel")
        make_blog("Alpha", author_name="writer")
        config = app_config | {
            "REDIS_URL": None,
            "REDIS_SENTINELS": f"127.0.0.1:{sentinel_port}",
            "REDIS_SENTINEL_MASTER": "blogmaster",
        }
        app = create_app(config)
        client = app.test_client()
        assert client.get(AUTO).headers["X-Cache"] == "MISS"
        assert client.get(AUTO).headers["X-Cache"] == "HIT"
        with app.app_context():
            assert caching.cache_status()["backend"] == "RedisSentinelCache"
        assert master.client().keys(config["CACHE_KEY_PREFIX"] + "page:*")
    finally:
        sentinel.terminate()
        sentinel.wait(10)
        master.stop()


@pytest.mark.redis
@pytest.mark.slow
@ONE_DATABASE
def test_redis_cluster(app_config, make_blog, tmp_path: Path):
    binary, cli = require_binary("redis-server"), require_binary("redis-cli")
    nodes = []
    try:
        for _ in range(3):
            port = free_port()
            while port > 55000:  # the cluster bus listens on port + 10000
                port = free_port()
            extra = ("--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf")
            server = RedisServer(binary, tmp_path, *extra)
            server.port = port
            nodes.append(server.start())
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        subprocess.run([cli, "--cluster", "create", *addresses, "--cluster-replicas", "0",
                        "--cluster-yes"], check=True, capture_output=True, timeout=30)  # fmt: skip
        for node in nodes:
            info = node.client().execute_command
            wait_until(lambda info=info: info("CLUSTER INFO")["cluster_state"] == "ok")
        make_blog("Alpha", author_name="writer")
        app = create_app(app_config | {"REDIS_URL": None, "REDIS_CLUSTER": ",".join(addresses)})
        client = app.test_client()
        for path in ("/", "/blog/alpha/", AUTO):  # keys spread over the nodes' slots
            assert client.get(path).headers["X-Cache"] == "MISS"
            assert client.get(path).headers["X-Cache"] == "HIT"
        with app.app_context():
            from blogsite.extensions import db
            from blogsite.models import Blog

            db.session.scalar(db.select(Blog)).title = "Renamed"
            db.session.commit()
            status = caching.cache_status()
        assert status["backend"] == "RedisClusterCache" and status["reachable"] is True
        assert status["keys"] >= 6 and status["hits"] >= 3
        assert "Renamed" in client.get(AUTO).get_data(as_text=True)
    finally:
        for node in nodes:
            node.stop()


@pytest.mark.redis
class TestCommands:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
        return app_config | {"REDIS_URL": redis_url}

    def test_print_reads_without_writing_and_demo_sets_hello(self, runner, redis_url, app):
        client, prefix = redis.Redis.from_url(redis_url), app.config["CACHE_KEY_PREFIX"]
        before = set(prefix_keys(client, prefix))
        result = runner.invoke(args=["cache", "print"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [
            "backend:   RedisCache", "reachable: yes", "hello:     not set (--demo sets it)"
        ]  # fmt: skip
        assert set(prefix_keys(client, prefix)) == before  # nothing written to the cache
        result = runner.invoke(args=["cache", "print", "--demo"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[2:] == [
            "set:       hello = 'World'",
            "hello:     'World'",
        ]
        assert set(prefix_keys(client, prefix)) == before | {f"{prefix}hello".encode()}
        result = runner.invoke(args=["cache", "print"])
        assert result.output.splitlines()[2:] == ["hello:     'World'"]

    def test_stats(self, runner, client, make_blog):
        make_blog("Alpha", author_name="writer")
        client.get(AUTO), client.get(AUTO)
        result = runner.invoke(args=["cache", "stats"])
        assert result.exit_code == 0, result.output
        lines = dict(line.split(":", 1) for line in result.output.splitlines())
        assert lines["backend"].strip() == "RedisCache" and lines["reachable"].strip() == "yes"
        assert int(lines["hits"]) >= 1 and int(lines["misses"]) >= 1 and int(lines["keys"]) >= 3
        assert lines["memory"].strip() not in ("", "n/a")

    def test_clear_one_author_or_everything(self, runner, client, make_blog):
        make_blog("Alpha", author_name="writer")
        make_blog("Beta", author_name="other")
        other = "/blog/blogs_auto_invalidation/?author_id=2"
        for path in (AUTO, other, AUTO, other):
            client.get(path)
        result = runner.invoke(args=["cache", "clear", "--author-id", "1"])
        assert result.exit_code == 0 and "author 1" in result.output
        assert client.get(AUTO).headers["X-Cache"] == "MISS"
        assert client.get(other).headers["X-Cache"] == "HIT"
        result = runner.invoke(args=["cache", "clear"])
        assert result.exit_code == 0 and "everything" in result.output
        assert client.get(other).headers["X-Cache"] == "MISS"

    @pytest.mark.parametrize("bad", ["0", "-3", "abc"])
    def test_clear_rejects_a_bad_author_id(self, runner, bad):
        result = runner.invoke(args=["cache", "clear", "--author-id", bad])
        assert result.exit_code == 2 and "author-id" in result.output

    @pytest.mark.parametrize("command", ["print", "clear"])
    def test_unreachable_redis_is_a_clear_error(self, app_config, command):
        app = create_app(app_config | {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
        result = app.test_cli_runner().invoke(args=["cache", command])
        assert result.exit_code == 1
        assert "unreachable" in result.output and "Traceback" not in result.output
        stats = app.test_cli_runner().invoke(args=["cache", "stats"])
        assert stats.exit_code == 0 and "reachable: no" in stats.output


@pytest.mark.redis
@ONE_DATABASE
def test_a_hit_costs_at_most_one_redis_command(app_config, make_blog, tmp_path: Path):
    """Counted on a redis-server of our own: a query hit is one command; a page held in
    memory is checked against pushed generations, so its hits send none of their own."""
    server = RedisServer(require_binary("redis-server"), tmp_path).start()
    try:
        make_blog("Alpha", author_name="writer")
        app = create_app(app_config | {"REDIS_URL": server.url})
        client, probe = app.test_client(), server.client()
        for path in ("/", AUTO):
            client.get(path), client.get(path)

        def commands_during(work: Callable[[], None]) -> tuple[int, float]:
            before, started = probe.info("stats")["total_commands_processed"], time.monotonic()
            work()
            used = probe.info("stats")["total_commands_processed"] - before - 1  # the INFO
            return used, time.monotonic() - started

        def page_hits() -> None:
            for _ in range(100):
                assert client.get(AUTO).headers["X-Cache"] == "HIT"

        def query_hits(app: Any = app) -> None:
            with app.app_context():
                for _ in range(20):
                    queries.get_all_blogs(1)

        # Besides the hits: the watcher's heartbeat PING and the hit/miss counts (a
        # pipeline of two INCRBY), each at most every COUNT_FLUSH_SECONDS or faster.
        used, seconds = commands_during(page_hits)
        assert used <= 3 * (seconds / 0.25 + 1), used
        # A query hit is held in the worker's memory as well, checked the same way.
        used, seconds = commands_during(query_hits)
        assert used <= 4 * (seconds / COUNT_FLUSH_SECONDS + 1), used
        # Without the watcher, each page or query hit fetches its generations: one MGET.
        unwatched = create_app(
            app_config | {"REDIS_URL": server.url, "CACHE_WATCH_GENERATIONS": False}
        )
        client = unwatched.test_client()
        used, seconds = commands_during(page_hits)
        assert 100 <= used <= 100 + 4 * (seconds / COUNT_FLUSH_SECONDS + 1), used
        query_hits(unwatched)  # its first reads fill its own copy
        used, seconds = commands_during(lambda: query_hits(unwatched))
        assert 20 <= used <= 20 + 4 * (seconds / COUNT_FLUSH_SECONDS + 1), used
    finally:
        server.stop()
