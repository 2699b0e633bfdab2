"""Production configuration through nginx: the shipped gunicorn.conf.py and docker/nginx.conf.

Usage: .venv/bin/python bench/nginx.py [--rounds 9] [--duration 5] [--connections 64]
       [--instances 1]

Starts ``--instances`` gunicorns with the repository's ``gunicorn.conf.py`` (as compose runs
them: its workers, threads and keep-alive; BLOGSITE_TRUSTED_PROXIES=1), a redis-server of
its own, and nginx (Debian's ``/usr/sbin/nginx``) with ``docker/nginx.conf`` as shipped but
for what only Docker has: the upstream names the local gunicorns instead of ``web:8000``
(no Docker DNS resolver), it listens on a free port, and its files live in a temporary
directory. Then ``--rounds`` rounds of ``wrk -c 64`` on the cached home page: each round's
requests/s, p50 and p99, each worker's share of the CPU time the workers used, and whether any round
fell below half the median (a stalled round: connections piled onto one worker).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from run import free_port, wait_for, wrk  # bench/run.py
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def site_conf(shipped: str, upstreams: list[int], port: int, tmp: Path) -> str:
    """Return docker/nginx.conf with Docker's names replaced by this machine's."""
    conf = re.sub(r"^resolver .*\n", "", shipped, flags=re.M)
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstreams)
    conf = re.sub(r"^\s*server web:8000[^\n]*\n", servers, conf, flags=re.M)
    conf = conf.replace("listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;")
    conf = conf.replace("/var/log/nginx/access.log", str(tmp / "access.log"))
    conf = conf.replace("/srv/blogsite/static/", str(ROOT / "static") + "/")
    if "127.0.0.1:" not in conf or "web:8000" in conf:
        raise SystemExit("docker/nginx.conf changed shape: update bench/nginx.py")
    return conf


def main_conf(tmp: Path) -> str:
    """Return a minimal nginx.conf around the site's server block (Debian's defaults)."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    paths = "".join(
        f"    {name}_temp_path {tmp / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes auto;\npid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    sendfile on;\n{paths}"
        f"    include {tmp / 'site.conf'};\n}}\n"
    )


def worker_cpu(masters: list[int]) -> dict[int, int]:
    """Return the CPU ticks each gunicorn worker of ``masters`` has used so far."""
    ticks = {}
    for master in masters:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        for pid in map(int, children):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--instances", type=int, default=1, help="gunicorns behind nginx")
    options = parser.parse_args()
    for tool in ("wrk", "redis-server", NGINX):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (Debian: apt-get install wrk redis nginx)")
    base = make_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    ).set(drivername="postgresql+psycopg")
    name = f"blogsite_nginx_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    tmp = Path(tempfile.mkdtemp(prefix="blogsite-nginx-"))
    tmp.chmod(0o755)
    processes: list[subprocess.Popen[bytes]] = []
    redis_port, port = free_port(), free_port()
    env = os.environ | {
        "DATABASE_URL": base.set(database=name).render_as_string(hide_password=False),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": uuid.uuid4().hex,
        "FLASK_APP": "blogsite",
        "BLOGSITE_LOG_LEVEL": "WARNING",
        "BLOGSITE_TRUSTED_PROXIES": "1",
    }
    results = []
    try:
        processes.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL,
        ))  # fmt: skip
        run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True}
        flask = [sys.executable, "-m", "flask"]
        subprocess.run([*flask, "db", "upgrade"], **run)  # type: ignore[call-overload]
        subprocess.run([*flask, "seed", "--authors", "2", "--blogs-per-author", "500"], **run)  # type: ignore[call-overload]
        upstreams = [free_port() for _ in range(options.instances)]
        for upstream in upstreams:
            args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
            bind = {"GUNICORN_BIND": f"127.0.0.1:{upstream}"}
            processes.append(subprocess.Popen(args, cwd=ROOT, env=env | bind))
            wait_for(f"http://127.0.0.1:{upstream}/healthz")
        shipped = (ROOT / "docker" / "nginx.conf").read_text()
        (tmp / "site.conf").write_text(site_conf(shipped, upstreams, port, tmp))
        (tmp / "nginx.conf").write_text(main_conf(tmp))
        processes.append(subprocess.Popen([NGINX, "-c", str(tmp / "nginx.conf"),
                                           "-g", "daemon off;"]))  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        wait_for(url)
        wrk(url, 3, options.connections)  # warm-up: fills the cache, opens upstream connections
        masters = [p.pid for p in processes[1 : 1 + options.instances]]
        for _ in range(options.rounds):
            before = worker_cpu(masters)
            result = wrk(url, options.duration, options.connections)
            after = worker_cpu(masters)
            split = [after[pid] - before.get(pid, 0) for pid in sorted(after)]
            results.append(result | {"split": split})
            time.sleep(0.5)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(15)
        shutil.rmtree(tmp, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    report(results, options)


def report(results: list[dict], options: argparse.Namespace) -> None:
    """Print each round, the medians, and whether any round stalled."""
    median = statistics.median(r["rps"] for r in results)
    print(
        f"\n{options.rounds} rounds x {options.duration} s, wrk -t2 -c{options.connections}, "
        f"nginx -> {options.instances} gunicorn(s) with gunicorn.conf.py, "
        f"load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("| round | requests/s | of median | p50 ms | p99 ms | errors | CPU share per worker |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for number, r in enumerate(results, 1):
        total = max(1, sum(r["split"]))
        split = ", ".join(f"{n / total:.0%}" for n in r["split"])
        print(
            f"| {number} | {r['rps']:.0f} | {r['rps'] / median:.2f} | {r['p50']:.2f} "
            f"| {r['p99']:.2f} | {int(r['errors'])} | {split} |"
        )
    p50 = statistics.median(r["p50"] for r in results)
    p99 = statistics.median(r["p99"] for r in results)
    low = min(r["rps"] for r in results) / median
    verdict = "PASS" if low >= 0.5 else "MISS"
    print(f"\nmedian {median:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
          f"lowest round {low:.2f} of the median (at least 0.5): {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
