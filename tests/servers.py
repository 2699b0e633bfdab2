"""Throwaway servers for tests: our own redis-server (and sentinel), and gunicorn."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Any, timeout: float = 15.0, what: str = "server") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up in {timeout} s")


def shared_env(app_config: dict[str, Any]) -> dict[str, str]:
    """Return the environment of app processes sharing the test's database and cache keys."""
    return {
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app_config["REDIS_URL"],
        "SECRET_KEY": "two-process-test",  # one key: a cookie from one process works in both
        "BLOGSITE_CACHE_KEY_PREFIX": app_config["CACHE_KEY_PREFIX"],
        "BLOGSITE_SECURE_COOKIES": "0",
        # As in production: one origin for absolute URLs, so pages holding them (every
        # public page) share one key across the processes, whatever port each listens on.
        "BLOGSITE_SITE_URL": "http://blog.test",
    }


class RedisServer:
    """A redis-server of our own on a free port, which tests may stop, hang and restart."""

    def __init__(self, binary: str, directory: Path, *extra: str) -> None:
        self.binary, self.directory, self.extra = binary, directory, extra
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> RedisServer:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.directory), "--dbfilename", "dump.rdb",
                *self.extra]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_until(lambda: self.client().ping(), what="redis-server")
        return self

    def shutdown_keeping_data(self) -> None:
        """Stop the server after saving its data, so a restart brings old entries back."""
        with contextlib.suppress(redis.ConnectionError):  # it hangs up as it goes
            self.client().shutdown(save=True)
        assert self.process is not None
        self.process.wait(10)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)


class Gunicorn:
    """``gunicorn wsgi:app`` in a subprocess on a free port.

    ``config=True`` reads the shipped gunicorn.conf.py (gthread workers, JSON logging);
    ``log`` receives the server's stdout and stderr instead of discarding them.
    """

    def __init__(
        self, env: dict[str, str], workers: int = 1, *, config: bool = False,
        log: Path | None = None,
    ) -> None:  # fmt: skip
        self.port = free_port()
        settings = ["--config", "gunicorn.conf.py"] if config else []
        args = [sys.executable, "-m", "gunicorn", *settings, "-w", str(workers), "-b",
                f"127.0.0.1:{self.port}", "wsgi:app"]  # fmt: skip
        self.log = log.open("wb") if log is not None else None
        output: Any = self.log or subprocess.DEVNULL
        errors = subprocess.STDOUT if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=os.environ | env, stdout=output, stderr=errors
        )
        wait_until(lambda: self.get("/healthz-probe")[0] > 0, timeout=30, what="gunicorn")

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        if self.log is not None:
            self.log.close()
