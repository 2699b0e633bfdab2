"""Throttling across real processes and servers: two gunicorns, a Redis outage, Sentinel."""

from __future__ import annotations

import http.client
import logging
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from blogsite import create_app
from blogsite.extensions import db

from .throttle_support import (
    RATES,
    RedisServer,
    delete_prefix,
    free_port,
    get,
    prefixed_keys,
    redis_server,
    wait_for,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ANON = "/blog/blogs_anon_view/"


def sqlite_app(tmp_path: Path, **config):
    """An app on its own SQLite file, with the schema and one blog."""
    url = f"sqlite:///{tmp_path / 'throttle.sqlite'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "THROTTLE_KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
                      "THROTTLE_RATES": dict(RATES), **config})  # fmt: skip
    with app.app_context():
        db.create_all()
    return app


def status_of(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_two_processes_share_one_exact_budget(tmp_path, redis_url):
    """300 concurrent requests through two gunicorns against 100/minute: exactly 100 pass."""
    app = sqlite_app(tmp_path)
    prefix = app.config["THROTTLE_KEY_PREFIX"]
    env = os.environ | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": "two-process-test",
        "BLOGSITE_THROTTLE_RATES": '{"anon": "100/minute"}',
        "BLOGSITE_THROTTLE_KEY_PREFIX": prefix,
    }
    ports = [free_port(), free_port()]
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread",
               "--threads", "8", "wsgi:app"]  # fmt: skip
    servers = [
        subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            assert wait_for(lambda port=port: status_of(port, "/") == 200, 30), "no gunicorn"
        with ThreadPoolExecutor(max_workers=32) as pool:
            codes = list(pool.map(lambda n: status_of(ports[n % 2], ANON), range(300)))
        assert codes.count(200) == 100
        assert codes.count(429) == 200
        assert len(codes) == 300
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(10)
        delete_prefix(redis_url, prefix)


def limiter_warnings(caplog):
    """Return flask-limiter's records at WARNING or above."""
    return [r for r in caplog.records if r.name == "flask-limiter" and r.levelno >= logging.WARNING]


def test_redis_outage_falls_back_to_memory_and_recovers(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="flask-limiter")
    server = RedisServer(tmp_path)
    server.start()
    try:
        app = sqlite_app(tmp_path, REDIS_URL=server.url)
        client = app.test_client()
        prefix = app.config["THROTTLE_KEY_PREFIX"]
        assert [get(client, ANON).status_code for _ in range(2)] == [200, 200]
        assert len(prefixed_keys(server.url, prefix)) == 1

        server.stop()
        down = [get(client, ANON).status_code for _ in range(5)]
        # No 5xx: this process now counts in memory, starting a fresh window.
        assert down == [200, 200, 200, 429, 429]
        # Only the limiter's own records: the page cache's breaker logs this outage too.
        warnings = limiter_warnings(caplog)
        assert len(warnings) == 1 and "falling back to in-memory" in warnings[0].getMessage()

        server.start()  # an empty Redis on the same port
        assert wait_for(lambda: get(client, ANON).status_code == 200, 40, interval=0.25)
        assert "Rate limit storage recovered" in caplog.text
        assert len(prefixed_keys(server.url, prefix)) == 1  # counting in Redis again
        assert [get(client, ANON).status_code for _ in range(3)] == [200, 200, 429]
        connection = redis.Redis.from_url(server.url)
        assert connection.llen(prefixed_keys(server.url, prefix)[0]) == 3
        assert len(limiter_warnings(caplog)) == 1
    finally:
        server.stop()


def test_sentinel_storage(tmp_path):
    with redis_server(tmp_path) as master:
        sentinel_port = free_port()
        conf = tmp_path / "sentinel.conf"
        conf.write_text(
            f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
            f"sentinel monitor throttle-master 127.0.0.1 {master.port} 1\n"
        )
        sentinel = subprocess.Popen(
            [master.binary, str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            probe = redis.Redis(port=sentinel_port, socket_timeout=0.5)
            assert wait_for(lambda: probe.sentinel_get_master_addr_by_name("throttle-master"), 10)
            app = sqlite_app(tmp_path, REDIS_SENTINELS=f"127.0.0.1:{sentinel_port}",
                             REDIS_SENTINEL_MASTER="throttle-master")  # fmt: skip
            client = app.test_client()
            assert [get(client, ANON).status_code for _ in range(4)] == [200, 200, 200, 429]
            keys = prefixed_keys(master.url, app.config["THROTTLE_KEY_PREFIX"])
            assert len(keys) == 1 and "ip:203.0.113.1/anon" in keys[0]
        finally:
            sentinel.terminate()
            sentinel.wait(10)
