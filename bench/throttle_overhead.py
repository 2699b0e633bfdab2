"""Measure what throttling costs a request, in-process (Flask test client, no network).

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/throttle_overhead.py [N]

Prints requests/s for a bare route and for a route under the ``anon`` throttle, with the
limiter off, counting in memory and counting in Redis, and each as a ratio of the bare
route with the limiter off. Throttle keys live under a throwaway prefix, deleted at the end.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from flask import Flask

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # run from anywhere

from blogsite import create_app
from blogsite.throttling import anon_throttle

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
PREFIX = f"bench-throttle-{uuid.uuid4().hex}"


def build(**config: object) -> Flask:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "THROTTLE_KEY_PREFIX": PREFIX, "SECRET_KEY": "bench",
                      "THROTTLE_RATES": {"anon": f"{N * 10}/minute"}, **config})  # fmt: skip
    app.add_url_rule("/bare", "bare", lambda: "ok")
    app.add_url_rule("/limited", "limited", anon_throttle(lambda: "ok"))
    return app


def rate(app: Flask, path: str) -> float:
    client = app.test_client()
    for n in range(50):  # warm up
        client.get(path, environ_base={"REMOTE_ADDR": f"192.0.2.{n % 200}"})
    start = time.perf_counter()
    for n in range(N):
        client.get(path, environ_base={"REMOTE_ADDR": f"198.51.{n // 250}.{n % 250}"})
    return N / (time.perf_counter() - start)


def main() -> None:
    setups = {"limiter off": {"RATELIMIT_ENABLED": False, "REDIS_URL": None},
              "memory": {"REDIS_URL": None}}  # fmt: skip
    if os.environ.get("REDIS_URL"):
        setups["redis"] = {"REDIS_URL": os.environ["REDIS_URL"]}
    base = None
    print(f"{'setup':<12} {'route':<8} {'req/s':>8} {'ratio':>6}")
    for name, config in setups.items():
        for path in ("/bare", "/limited"):
            value = rate(build(**config), path)
            base = base or value
            print(f"{name:<12} {path:<8} {value:>8.0f} {value / base:>6.2f}")
    if os.environ.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        keys = list(client.scan_iter(match=f"{PREFIX}:*"))
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    main()
