"""Smoke test: the container's gunicorn command, production settings, every page."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from blogsite.deploy_check import url_has_password

from .services import throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

PAGES = [
    ("/", 200), ("/?page=1", 200), ("/blog/first-blog-title/", 200),
    ("/blog/next-blog-title/", 200), ("/author/1/", 200), ("/author/2/", 200),
    ("/tag/tag1/", 200), ("/feed.xml", 200), ("/sitemap.xml", 200), ("/auth/login", 200),
    ("/static/css/site.css", 200), ("/no-such-page/", 404), ("/blog/no-such-blog/", 404),
    ("/author/999/", 404), ("/?page=abc", 400),
]  # fmt: skip
# The original's pages, the account and admin logins, and the health checks.
PAGES += [
    ("/blog/blogs_auto_invalidation/?author_id=1", 200), ("/blog/blogs_logs/?author_id=1", 200),
    ("/blog/blogs_anon_view/", 200), ("/blog/blogs_user_view/", 200),
    ("/blog/blogs_scoped_view/", 200), ("/auth/register", 200), ("/admin/login/", 200),
    ("/admin/", 302), ("/healthz", 200), ("/readyz", 200),
    ("/blog/blogs_auto_invalidation/?author_id=x", 400), ("/blog/blogs_logs/?author_id=999", 404),
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str, headers: dict[str, str] | None = None):
    """GET ``path``; return (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    finally:
        conn.close()


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def production_database():
    """A fresh PostgreSQL database for the server, dropped afterwards."""
    with throwaway_postgres("smoke") as url:
        yield url


@pytest.fixture
def production_env(production_database, redis_url):
    """The container's environment, pointed at local services under our own key prefix."""
    prefix = f"smoke-{uuid.uuid4().hex[:12]}"
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(
        FLASK_APP="blogsite", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=production_database,
        REDIS_URL=redis_url, BLOGSITE_ALLOWED_HOSTS="127.0.0.1,localhost",
        BLOGSITE_SITE_URL="https://blog.example.com",
        BLOGSITE_CACHE_KEY_PREFIX=f"{prefix}:cache:", BLOGSITE_THROTTLE_KEY_PREFIX=f"{prefix}:rl",
        GUNICORN_WORKERS="2", GUNICORN_THREADS="2", PATH=f"{BIN}:{os.environ['PATH']}",
    )  # fmt: skip
    yield env
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)


def assert_security_headers(path: str, headers) -> None:
    assert headers["X-Frame-Options"] == "DENY", path
    assert headers["X-Content-Type-Options"] == "nosniff", path
    assert headers["Referrer-Policy"], path
    assert headers["Permissions-Policy"], path
    policy = headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in policy
        and "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    ), path
    assert "Strict-Transport-Security" not in headers, path  # plain HTTP


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_gunicorn_serves_every_page_with_production_settings(production_env, tmp_path):
    env = production_env
    for command in (["flask", "db", "upgrade"], ["flask", "seed"]):
        result = run([str(BIN / command[0]), *command[1:]], env)
        assert result.returncode == 0, result.stderr
    # The real deploy check on this configuration: only a password-less Redis may remain.
    check = run([str(BIN / "flask"), "check-deploy"], env)
    if url_has_password(env["REDIS_URL"]):
        assert check.returncode == 0, check.stderr
    else:
        assert check.returncode == 1 and "1 problem(s)" in check.stderr, check.stderr
        assert "REDIS_URL has no password" in check.stderr

    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"], cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn exited at start"
            try:
                if fetch(port, "/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)

        pages = PAGES
        for path, expected in pages:
            status, headers, body = fetch(port, path)
            assert status == expected, (path, status, body[:300])
            assert_security_headers(path, headers)
        status, _, body = fetch(port, "/blog/first-blog-title/")
        assert "first blog title" in body

        # HTTPS as reported by a proxy on this machine: HSTS. Any other Host: a 400 page.
        secure = fetch(port, "/", {"X-Forwarded-Proto": "https"})[1]
        assert secure["Strict-Transport-Security"].startswith("max-age=")
        # Absolute URLs come from BLOGSITE_SITE_URL whatever the Host (in any case) says.
        for _ in range(2):  # a miss, then a hit
            status, _, body = fetch(port, "/feed.xml", {"Host": "LOCALHOST:6666"})
            assert status == 200 and 'href="https://blog.example.com/feed.xml"' in body
            assert "6666" not in body
        status, headers, body = fetch(port, "/", {"Host": "evil.example.net"})
        assert status == 400 and "does not answer to that host name" in body
        assert_security_headers("bad host", headers)
        # The login form's session cookie (its CSRF token) carries the production flags.
        cookies = fetch(port, "/auth/login")[1].get_all("Set-Cookie") or []
        session = next(cookie for cookie in cookies if cookie.startswith("session="))
        flags = {part.strip().lower() for part in session.split(";")}
        assert {"secure", "httponly", "samesite=lax"} <= flags
        assert fetch(port, "/auth/login")[1]["Cache-Control"] == "no-store"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = server.wait()
        log.seek(0)
        output = log.read()
        log.close()
    assert code == 0, output  # a graceful stop
    assert "Traceback" not in output, output
