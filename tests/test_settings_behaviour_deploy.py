"""Settings read by gunicorn.conf.py and compose.yaml, each seen changing behaviour.

The GUNICORN_* tests run the shipped gunicorn.conf.py in a real gunicorn and watch what it
does; compose has no engine here, so compose.yaml is interpolated as Compose does it and
the Redis servers it describes are started from their interpolated command lines.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from .servers import ROOT, Gunicorn, free_port, wait_until
from .services import require_binary

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a dollar.
INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Return ``value`` with variables substituted as Docker Compose substitutes them."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        name, operator, word = match[1], match[2] or "", match[3] or ""
        unset = name not in env or (operator.startswith(":") and env[name] == "")
        if unset and operator.endswith("?"):
            raise ValueError(word)
        return word if unset and operator.endswith("-") else env.get(name, "")

    return INTERPOLATION.sub(substitute, value)


def compose(**env: str) -> dict[str, Any]:
    """Return compose.yaml's services as Compose would run them with ``env`` as .env."""
    required = {"SECRET_KEY": "k", "POSTGRES_PASSWORD": "pg", "REDIS_PASSWORD": "rp",
                "BLOGSITE_ALLOWED_HOSTS": "h", "BLOGSITE_SITE_URL": "https://h"}  # fmt: skip
    raw = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return interpolate(raw, required | env)["services"]


def test_blogsite_http_port_is_the_port_nginx_publishes():
    assert compose()["nginx"]["ports"] == ["8080:80"]
    assert compose(BLOGSITE_HTTP_PORT="9090")["nginx"]["ports"] == ["9090:80"]


def test_postgres_settings_make_the_database_and_the_apps_url():
    env = {"POSTGRES_USER": "ana", "POSTGRES_PASSWORD": "pw-1", "POSTGRES_DB": "notes"}
    services = compose(**env)
    assert services["db"]["environment"] == env
    assert services["web"]["environment"]["DATABASE_URL"] == "postgresql://ana:pw-1@db:5432/notes"
    # The health check reads the container's own variables (Compose leaves $${...} to it).
    assert '"${POSTGRES_USER}" -d "${POSTGRES_DB}"' in services["db"]["healthcheck"]["test"][1]
    default = compose()["web"]["environment"]["DATABASE_URL"]
    assert default == "postgresql://blogsite:pg@db:5432/blogsite"
    with pytest.raises(ValueError, match="set POSTGRES_PASSWORD"):
        interpolate(yaml.safe_load((ROOT / "compose.yaml").read_text()), {"SECRET_KEY": "k"})


def run_redis_as_composed(command: list[str], tmp_path: Path) -> redis.Redis:
    """Start the local redis-server with a service's command line; return a client."""
    port = free_port()
    args = [require_binary("redis-server"), *command[1:], "--port", str(port),
            "--bind", "127.0.0.1", "--dir", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port, password="rp", socket_timeout=2)
    try:
        wait_until(client.ping, what="redis-server")
        return client.config_get("maxmemory*")
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize(
    ("variable", "service", "default", "policy"),
    [("REDIS_MAXMEMORY", "redis", "256mb", "allkeys-lru"),
     ("LIMITER_REDIS_MAXMEMORY", "limiter-redis", "64mb", "noeviction")],
)  # fmt: skip
def test_redis_maxmemory_settings_size_their_servers(variable, service, default, policy, tmp_path):
    """REDIS_MAXMEMORY sizes the cache's Redis, LIMITER_REDIS_MAXMEMORY the limiter's."""
    for value, size in ((None, default), ("100mb", "100mb")):
        env = {variable: value} if value else {}
        config = run_redis_as_composed(compose(**env)[service]["command"], tmp_path)
        megabytes = int(size.removesuffix("mb")) * 1024 * 1024
        assert (config["maxmemory"], config["maxmemory-policy"]) == (str(megabytes), policy)


# --- gunicorn.conf.py in a real gunicorn ----------------------------------------------------


def gunicorn(tmp_path: Path, **settings: str) -> Gunicorn:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite'}", "SECRET_KEY": "k" * 40}
    return Gunicorn(env | settings, workers=1, config=True, log=tmp_path / "gunicorn.log")


def messages(tmp_path: Path) -> list[str]:
    """Return the messages gunicorn logged (JSON lines, as gunicorn.conf.py sets up)."""
    lines = (tmp_path / "gunicorn.log").read_text().splitlines()
    return [json.loads(line)["message"] for line in lines if line.startswith("{")]


def worker_pids(tmp_path: Path) -> list[int]:
    found = (re.search(r"Booting worker with pid: (\d+)", m) for m in messages(tmp_path))
    return [int(match[1]) for match in found if match]


@pytest.mark.slow
def test_gunicorn_timeout_kills_a_worker_silent_for_longer(tmp_path):
    server = gunicorn(tmp_path, GUNICORN_TIMEOUT="2")
    try:
        [worker] = worker_pids(tmp_path)
        os.kill(worker, signal.SIGSTOP)  # stuck: no heartbeat reaches the master
        stopped = time.monotonic()
        wait_until(lambda: f"WORKER TIMEOUT (pid:{worker})" in messages(tmp_path), 10, "kill")
        assert 2 <= time.monotonic() - stopped < 4.5
        wait_until(lambda: len(worker_pids(tmp_path)) == 2, 15, "a new worker")
        assert server.get("/healthz")[0] == 200
    finally:
        server.stop()


@pytest.mark.slow
def test_gunicorn_graceful_timeout_is_how_long_a_stop_waits_for_workers(tmp_path):
    server = gunicorn(tmp_path, GUNICORN_GRACEFUL_TIMEOUT="1")
    [worker] = worker_pids(tmp_path)
    os.kill(worker, signal.SIGSTOP)  # a worker that cannot finish in time
    stopping = time.monotonic()
    server.stop()  # SIGTERM, as docker stop sends
    assert 1 <= time.monotonic() - stopping < 3.5  # not the default 20 s


@pytest.mark.slow
def test_gunicorn_keepalive_is_how_long_an_idle_connection_stays_open(tmp_path):
    server = gunicorn(tmp_path, GUNICORN_KEEPALIVE="1")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            # Timed from the request: gunicorn's 1 s runs from its answer, which our recv()
            # returns a moment later (CI measured 0.9986 s from there).
            asked = time.monotonic()
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert conn.recv(65536).startswith(b"HTTP/1.1 200")
            while conn.recv(65536):  # the body, if it came apart; then the close
                pass
            assert 1 <= time.monotonic() - asked < 2.8  # not the default 5 s
    finally:
        server.stop()


@pytest.mark.slow
def test_gunicorn_max_requests_recycles_a_worker(tmp_path):
    server = gunicorn(tmp_path, GUNICORN_MAX_REQUESTS="3")  # jitter: 3 // 10 = 0
    try:
        for _ in range(3):
            assert server.get("/healthz")[0] == 200
        wait_until(lambda: len(worker_pids(tmp_path)) == 2, 15, "a new worker")
        assert "Autorestarting worker after current request." in messages(tmp_path)
        assert server.get("/healthz")[0] == 200
    finally:
        server.stop()
