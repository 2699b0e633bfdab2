"""Helpers for the throttling tests: own Redis servers, key clean-up, requests from an address."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from .services import require_binary

RATES = {"anon": "3/minute", "user": "3/minute", "blog_limit": "3/minute"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def delete_prefix(redis_url: str, prefix: str) -> None:
    """Delete this test's throttle keys (and nothing else) from a shared Redis."""
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def prefixed_keys(redis_url: str, prefix: str) -> list[str]:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    return sorted(key.decode() for key in client.scan_iter(match=f"{prefix}:*"))


def get(client: Any, url: str, ip: str = "203.0.113.1", **kwargs: Any) -> Any:
    """GET ``url`` as if from ``ip`` (werkzeug's REMOTE_ADDR)."""
    return client.get(url, environ_base={"REMOTE_ADDR": ip}, **kwargs)


def post(client: Any, url: str, ip: str = "203.0.113.1", **kwargs: Any) -> Any:
    return client.post(url, environ_base={"REMOTE_ADDR": ip}, **kwargs)


def wait_for(check: Any, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:  # not up yet
            pass
        time.sleep(interval)
    return False


class RedisServer:
    """A redis-server of our own on a free port, which a test may stop and start again."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.binary = require_binary("redis-server")
        self.port = port or free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *extra: str) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir), *extra]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        if not wait_for(client.ping, 10):
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@contextmanager
def redis_server(workdir: Path, *extra: str) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start(*extra)
    try:
        yield server
    finally:
        server.stop()
