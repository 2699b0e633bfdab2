"""Helpers for the logging tests: read JSON log lines, a local collector, a cuttable TCP proxy."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest


def parse_lines(text: str) -> list[dict[str, Any]]:
    """Parse JSON log lines; any line that is not JSON fails the test."""
    records = []
    for line in text.splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                pytest.fail(f"log line is not JSON: {line!r}")
    return records


class LogFile:
    """The JSON lines an app wrote through ``LOG_FILE``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8") if self.path.exists() else ""

    def records(self, **match: Any) -> list[dict[str, Any]]:
        """Return the records whose fields equal all of ``match``."""
        found = parse_lines(self.text())
        return [r for r in found if all(r.get(k) == v for k, v in match.items())]


@pytest.fixture
def log_file(app_config: dict[str, Any], tmp_path: Path) -> LogFile:
    """Send the app's logs to a file of this test too (set before ``app`` is built)."""
    path = tmp_path / "logs" / "blogsite.log"
    path.parent.mkdir()
    app_config["LOG_FILE"] = str(path)
    return LogFile(path)


@pytest.fixture
def sqlite_config(tmp_path: Path) -> dict[str, Any]:
    """A test configuration on SQLite only, for tests the database engine does not change."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite'}",
        "WTF_CSRF_ENABLED": False,
    }


class BackgroundServer:
    """A threaded local HTTP server for a handler class, served while the block runs."""

    release: threading.Event

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()  # let a held request finish, so shutdown does not wait on it
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/logs") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class Collector(BackgroundServer):
    """A local HTTP server that records POSTed bodies; it can hang or fail on demand."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.release = threading.Event()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if collector.mode == "hang":
                    collector.release.wait(30)
                collector.bodies.append(body)
                collector.headers.append(dict(self.headers))
                self.send_response(500 if collector.mode == "error" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        self.serve(Handler)

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in list(self.bodies)]


def free_port() -> int:
    """Return a TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TcpProxy:
    """Forward a local port to ``target``; ``cut()`` drops every connection until ``restore()``."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()  # the "server" is gone: the connection drops at once
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones, like a crashed server."""
        self.open = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def iter_envelope_items(body: bytes) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield (item header, payload) pairs of a Sentry envelope."""
    lines = body.split(b"\n")
    index = 1  # the first line is the envelope header
    while index + 1 < len(lines):
        header = json.loads(lines[index])
        payload_line = lines[index + 1]
        index += 2
        try:
            yield header, json.loads(payload_line)
        except json.JSONDecodeError:
            continue
