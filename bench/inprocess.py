"""In-process cost of each page, side by side with the bare route, and where it goes.

Usage: .venv/bin/python bench/inprocess.py [--rounds 7] [--requests 200] [--profile NAME]
       [--keep DBNAME]

The Flask test client against one PostgreSQL database (1,002 blogs, as in ``run.py``) and
the shared Redis (keys under a prefix of their own): every scenario runs ``--requests``
times per round, rounds interleave the scenarios, and the table gives the median cost per
request and its ratio to the bare route's (a single-threaded throughput ratio), and the
best batch of each (on a shared machine the least disturbed one). Timing in
one process, seconds apart, survives a busy machine far better than wrk does; the CPU
time of this process (PostgreSQL's and Redis's work excluded) is steadier still.
``--profile NAME`` (a scenario's label, or "all") adds cProfile's top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def database(keep: str | None) -> tuple[str, Callable[[], None]]:
    """Create and seed a database (or reuse ``keep``); return its URL and a cleanup."""
    base = make_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    ).set(drivername="postgresql+psycopg")
    name = keep or f"blogsite_prof_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        fresh = exists.first() is None
        if fresh:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    if fresh:
        env = os.environ | {"DATABASE_URL": url, "FLASK_APP": "blogsite",
                            "BLOGSITE_LOG_LEVEL": "WARNING", "SECRET_KEY": "x" * 32}  # fmt: skip
        run: dict[str, Any] = {"cwd": ROOT, "env": env, "check": True, "capture_output": True}
        flask = [sys.executable, "-m", "flask"]
        subprocess.run([*flask, "db", "upgrade"], **run)
        subprocess.run([*flask, "seed", "--authors", "2", "--blogs-per-author", "500"], **run)
        settle(url)

    def drop() -> None:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return url, drop


def settle(url: str) -> None:
    """VACUUM ANALYZE a freshly seeded database, as autovacuum would soon do in production.

    Without statistics the planner guesses one published blog for the home page's query;
    without the visibility map index-only scans visit the heap. Autovacuum may be off on a
    test server (it is on this one), so a benchmark must not count on it.
    """
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def make_app(url: str, **config: Any) -> Any:
    """Return the site with the bare route, configured like production but for ``config``."""
    from blogsite import create_app

    bench = Blueprint("bench", __name__)
    bench.add_url_rule("/bench/bare", "bare", lambda: "ok")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "profile-secret-key-" + "x" * 16,
         "CACHE_KEY_PREFIX": f"prof-{uuid.uuid4().hex[:6]}:",
         "THROTTLE_KEY_PREFIX": f"prof-{uuid.uuid4().hex[:6]}:"} | config
    )  # fmt: skip
    app.register_blueprint(bench)
    return app


def reader(app: Any) -> Any:
    """Return a test client signed in as a newly registered reader."""
    client = app.test_client()
    page = client.get("/auth/register").get_data(as_text=True)
    token = TOKEN.search(page)
    assert token is not None, "no CSRF token on the registration page"
    password = "a long profile password"
    phone = f"+8190{uuid.uuid4().int % 10**8:08d}"
    form = {"csrf_token": token[1], "phone_no": phone, "name": "Profile Reader",
            "email": "", "password": password, "confirm": password}  # fmt: skip
    answer = client.post("/auth/register", data=form)
    assert answer.status_code == 302, answer.status_code
    return client


def build_scenarios(url: str, only: str = "") -> list[tuple[str, Any, str]]:
    """Return (label, client, path) for every scenario (or those named in ``only``)."""
    cached = make_app(url)
    cold = make_app(url, CACHE_ENABLED=False)
    # Redis stopped: nothing listens on the port, so each breaker opens on its first call.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    stopped = make_app(url, REDIS_URL=dead)
    anon, anon_cold = cached.test_client(), cold.test_client()
    signed, signed_cold = reader(cached), reader(cold)
    blog = "/blog/bulk-blog-3-1/"
    logged = "/blog/blogs_logs/?author_id=3"
    scenarios = [
        ("bare", anon, "/bench/bare"),
        ("home, cached", anon, "/"),
        ("blog page, cached", anon, blog),
        ("blogs_auto_invalidation", anon, "/blog/blogs_auto_invalidation/?author_id=3"),
        ("blogs_logs", anon, logged),
        ("home, logged-in", signed, "/"),
        ("blog page, logged-in", signed, blog),
        ("home, cold", anon_cold, "/"),
        ("blog page, cold", anon_cold, blog),
        ("home, cold, logged-in", signed_cold, "/"),
        ("home, Redis stopped", stopped.test_client(), "/"),
    ]
    if only:
        keep = {"bare", *only.split(";")}
        scenarios = [s for s in scenarios if s[0] in keep]
    return scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", default="")
    parser.add_argument("--keep", default=None, help="a database name to create once and reuse")
    parser.add_argument("--only", default="", help="scenario labels separated by ';'")
    options = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("BLOGSITE_LOG_LEVEL", "WARNING")
    url, drop = database(options.keep)
    try:
        scenarios = build_scenarios(url, options.only)
        for _label, client, path in scenarios:
            for _ in range(20):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
        times: dict[str, list[float]] = {label: [] for label, _, _ in scenarios}
        cpu: dict[str, list[float]] = {label: [] for label, _, _ in scenarios}
        for number in range(options.rounds):
            shift = number % len(scenarios)
            for label, client, path in scenarios[shift:] + scenarios[:shift]:
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(options.requests):
                    client.get(path)
                times[label].append((time.perf_counter() - start) / options.requests * 1e6)
                cpu[label].append((time.process_time() - start_cpu) / options.requests * 1e6)
        print(f"\n{options.rounds} rounds x {options.requests} requests, load {os.getloadavg()}")
        print(
            "| scenario | us per request | ratio to bare (range) "
            "| this process's CPU us | CPU ratio to bare (range) | best batch us | best ratio |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, each in times.items():
            ratios = [b / t for b, t in zip(times["bare"], each, strict=True)]
            cpus = [b / t for b, t in zip(cpu["bare"], cpu[label], strict=True)]
            print(
                f"| {label} | {statistics.median(each):.0f} | {statistics.median(ratios):.2f} "
                f"({min(ratios):.2f}-{max(ratios):.2f}) | {statistics.median(cpu[label]):.0f} "
                f"| {statistics.median(cpus):.2f} ({min(cpus):.2f}-{max(cpus):.2f}) "
                f"| {min(each):.0f} | {min(times['bare']) / min(each):.2f} |"
            )
        for label, client, path in scenarios:
            if options.profile in (label, "all"):
                profile(label, client, path, options.requests)
    finally:
        drop()


def profile(label: str, client: Any, path: str, count: int) -> None:
    """Print cProfile's top functions (own time and cumulative) for ``count`` requests."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        client.get(path)
    profiler.disable()
    dump = os.environ.get("BENCH_PROFILE_DIR")
    if dump:  # for pstats or snakeviz
        profiler.dump_stats(os.path.join(dump, re.sub(r"\W+", "_", label) + ".prof"))
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
        print(f"\n### {label}: by {order}, {count} requests\n")
        print("\n".join(out.getvalue().splitlines()[4:]))


if __name__ == "__main__":
    main()
