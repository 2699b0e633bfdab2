"""Cache benchmark: gunicorn (2 sync workers), PostgreSQL, Redis, 1,000 blogs, wrk.

Usage: .venv/bin/python bench/run.py [--duration 10] [--connections 8]

It creates its own PostgreSQL database (dropped at the end) on BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and starts its own redis-server on a free
port, so it can stop Redis without touching anyone else's. It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def headers(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        response.read()
        return dict(response.headers)


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    """Run wrk against ``url`` and return requests/s, p50, p99 (ms) and errors."""
    args = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{duration}s", url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": to_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8)
    options = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install {tool.split('-')[0]}")

    base = make_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    name = f"blogsite_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    redis_dir = tempfile.mkdtemp(prefix="blogsite-bench-")
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", redis_dir], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    servers: list[subprocess.Popen] = []
    env = os.environ | {
        "DATABASE_URL": base.set(database=name).render_as_string(hide_password=False),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": uuid.uuid4().hex,
        "FLASK_APP": "bench.app",
        "BLOGSITE_LOG_LEVEL": "WARNING",
    }
    try:
        flask = [PYTHON, "-m", "flask"]
        run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True}
        subprocess.run([*flask, "db", "upgrade"], **run)
        subprocess.run([*flask, "seed", "--authors", "10", "--blogs-per-author", "100"], **run)

        def gunicorn(extra: dict[str, str]) -> str:
            port = free_port()
            args = [PYTHON, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "bench.app:app"]
            servers.append(subprocess.Popen(args, cwd=ROOT, env=env | extra))
            wait_for(f"http://127.0.0.1:{port}/bench/bare")
            return f"http://127.0.0.1:{port}"

        cached, uncached = gunicorn({}), gunicorn({"BLOGSITE_CACHE_ENABLED": "0"})
        blog = "/blog/bulk-blog-3-1/"
        auto = "/blog/blogs_auto_invalidation/?author_id=1"
        scenarios = [
            ("bare route (constant)", cached + "/bench/bare"),
            ("home, cached", cached + "/"),
            ("home, caching off", uncached + "/"),
            ("blog page, cached", cached + blog),
            ("blogs_auto_invalidation, cached", cached + auto),
        ]
        results = {}
        for label, url in scenarios:
            wrk(url, 2, options.connections)  # warm up: fill the caches, settle the workers
            if "cached" in label:
                assert headers(url).get("X-Cache") == "HIT", f"{label} is not served from cache"
            results[label] = wrk(url, options.duration, options.connections)
        redis.send_signal(signal.SIGTERM)
        redis.wait(10)
        wrk(cached + "/", 2, options.connections)
        results["home, Redis stopped"] = wrk(cached + "/", options.duration, options.connections)
        rss = worker_rss_mb(servers[0])
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        if redis.poll() is None:
            redis.terminate()
        shutil.rmtree(redis_dir, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    bare, off = results["bare route (constant)"]["rps"], results["home, caching off"]["rps"]
    print(f"\n{options.connections} connections, {options.duration} s per scenario, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    print("| scenario | requests/s | p50 ms | p99 ms | errors | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, r in results.items():
        ratio = r["rps"] / (off if label == "home, Redis stopped" else bare)
        base_name = "caching off" if label == "home, Redis stopped" else "bare"
        print(f"| {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} "
              f"| {ratio:.2f} of {base_name} |")  # fmt: skip
    home = results["home, cached"]["rps"] / bare
    stopped = results["home, Redis stopped"]["rps"] / off
    print(f"\nTargets: cached home >= 0.8 of bare: {home:.2f} {'PASS' if home >= 0.8 else 'MISS'}; "
          f"Redis stopped >= 0.9 of caching off: {stopped:.2f} "
          f"{'PASS' if stopped >= 0.9 else 'MISS'}, errors "
          f"{results['home, Redis stopped']['errors']}")  # fmt: skip
    print(f"Worker RSS after the run (caching on): {', '.join(f'{m:.0f} MB' for m in rss)}")


if __name__ == "__main__":
    main()
