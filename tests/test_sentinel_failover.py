"""High availability: the primary dies under load, Sentinel promotes the replica, and the
site keeps serving (no 5xx) while caching and throttling move to the new primary."""

from __future__ import annotations

import http.client
import threading
import time
from typing import Any

import pytest
from werkzeug.serving import make_server

from blogsite import create_app
from blogsite.extensions import db

from .sentinel import RedisSentinelCluster, wait_until
from .services import require_binary

pytestmark = [pytest.mark.redis, pytest.mark.slow]
PASSWORD = "failover-test-password"
PAGES = ["/", "/blog/first-blog-title/", "/blog/blogs_anon_view/"]


def fetch(port: int, path: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        conn.close()


def keys_under(client: Any, prefix: str) -> list[bytes]:
    return list(client.scan_iter(match=prefix + "*", count=1000))


def test_primary_dies_under_load(tmp_path, cache_key_prefix, capsys):
    server_binary = require_binary("redis-server")
    with RedisSentinelCluster(tmp_path, password=PASSWORD, redis_server=server_binary) as ha:
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "failover-test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'site.sqlite'}",
            "REDIS_SENTINELS": ",".join(f"{h}:{p}" for h, p in ha.sentinels),
            "REDIS_SENTINEL_MASTER": ha.master_name,
            "REDIS_PASSWORD": PASSWORD,
            "CACHE_RETRY_SECONDS": 1,
            "THROTTLE_RATES": {"anon": "100000/hour"},
        })  # fmt: skip
        with app.app_context():
            db.create_all()
        assert app.test_cli_runner().invoke(args=["seed"]).exit_code == 0
        throttle_prefix = app.config["THROTTLE_KEY_PREFIX"]
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_port
        try:
            # Before: pages cached and counters kept on the primary.
            for path in PAGES:
                fetch(port, path)
            assert fetch(port, "/")[1]["X-Cache"] == "HIT"
            primary = ha.client(ha.primary_port)
            assert keys_under(primary, cache_key_prefix)
            assert keys_under(primary, throttle_prefix)

            statuses: list[int] = []
            stop = threading.Event()

            def load() -> None:
                while not stop.is_set():
                    for path in PAGES:
                        statuses.append(fetch(port, path)[0])

            workers = [threading.Thread(target=load) for _ in range(3)]
            for worker in workers:
                worker.start()
            time.sleep(0.5)
            ha.kill_primary()
            failover_seconds = ha.wait_for_failover()
            promoted_at = time.monotonic()
            promoted = ha.client(ha.replica_port)

            # Caching resumes on the promoted replica: hits again, new keys written there.
            def cache_is_back() -> bool:
                fetch(port, "/")
                return fetch(port, "/")[1].get("X-Cache") == "HIT"

            wait_until(cache_is_back, 30, "page-cache hits on the new primary")
            cache_seconds = time.monotonic() - promoted_at

            # Throttling resumes there too: the anon counter grows on the new primary.
            def window_size() -> int:
                keys = [k for k in keys_under(promoted, throttle_prefix) if b"anon" in k]
                return sum(promoted.zcard(k) if promoted.type(k) == b"zset" else
                           promoted.llen(k) for k in keys)  # fmt: skip

            before = window_size()
            wait_until(lambda: fetch(port, PAGES[2]) and window_size() > before + 2, 45,
                       "throttle counters on the new primary")  # fmt: skip
            throttle_seconds = time.monotonic() - promoted_at
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
        finally:
            server.shutdown()
        with capsys.disabled():
            print(f"\nSentinel failover: {failover_seconds:.2f} s to promote; cache hits "
                  f"{cache_seconds:.2f} s and throttle counters {throttle_seconds:.2f} s "
                  f"after; {len(statuses)} requests during the run")  # fmt: skip
        assert statuses, "the load threads made no requests"
        assert not [s for s in statuses if s >= 500], sorted(set(statuses))
        assert set(statuses) == {200}
