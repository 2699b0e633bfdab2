"""Handlers: stdout, and an HTTP collector behind a queue so that it never slows a request."""

from __future__ import annotations

import base64
import contextlib
import http.client
import logging
import logging.handlers
import os
import queue
import sys
import threading
import time
import weakref
from typing import TextIO
from urllib.parse import urlsplit

QUEUE_SIZE = 10_000
HTTP_TIMEOUT = 5.0
REPORT_EVERY = 60.0  # seconds between two stderr reports of the same trouble
STOP_WAIT = 2.0  # seconds a shutdown waits for queued records to reach the collector


class Reporter:
    """Report a logging failure on stderr, at most once a minute with a count."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def __call__(self, detail: str) -> None:
        with self.lock:
            self.count += 1
            now = time.monotonic()
            if now - self.last < REPORT_EVERY and self.last:
                return
            count, self.count, self.last = self.count, 0, now
        sys.stderr.write(f"blogsite logging: {self.what} ({count}x): {detail}\n")


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stdout`` is now (it may be replaced after start-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class JsonHTTPHandler(logging.handlers.HTTPHandler):
    """POST each already formatted JSON line to a collector, with a timeout."""

    def __init__(self, url: str, timeout: float = HTTP_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"LOG_HTTP_URL must be an http(s) URL, not {url!r}")
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        credentials = (parts.username or "", parts.password or "") if parts.username else None
        super().__init__(host, path, "POST", parts.scheme == "https", credentials)
        self.timeout = timeout
        self.report = Reporter(f"cannot deliver log records to {parts.scheme}://{host}")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            body = record.getMessage().encode("utf-8")
            if self.secure:
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    self.host, timeout=self.timeout, context=self.context
                )
            else:
                conn = http.client.HTTPConnection(self.host, timeout=self.timeout)
            headers = {"Content-Type": "application/json"}
            if self.credentials:
                token = base64.b64encode(":".join(self.credentials).encode()).decode()
                headers["Authorization"] = f"Basic {token}"
            try:
                conn.request("POST", self.url, body=body, headers=headers)
                status = conn.getresponse().status
            finally:
                conn.close()
            if status >= 400:
                self.report(f"the collector answered HTTP {status}")
        except Exception as error:
            self.report(f"{type(error).__name__}: {error}")


_live: weakref.WeakSet[QueueingHandler] = weakref.WeakSet()


class QueueingHandler(logging.handlers.QueueHandler):
    """Queue records for a target handler served by its own thread; drop when full."""

    def __init__(self, target: logging.Handler, maxsize: int = QUEUE_SIZE) -> None:
        super().__init__(queue.Queue(maxsize))
        self.target = target
        self.maxsize = maxsize
        self.dropped = Reporter("log queue full, records dropped")
        self.listener = self._start()
        _live.add(self)

    def _start(self) -> logging.handlers.QueueListener:
        listener = logging.handlers.QueueListener(self.queue, self.target)
        listener.start()
        return listener

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped("the collector is slower than the site")

    def restart_after_fork(self) -> None:
        """Give a forked child a fresh queue and thread (threads do not survive a fork)."""
        self.queue = queue.Queue(self.maxsize)
        self.listener = self._start()

    def close(self) -> None:
        """Stop the thread, waiting briefly for queued records: a hung collector must not
        hold up a shutdown or a reconfiguration."""
        listener, self.listener = self.listener, None  # type: ignore[assignment]
        if listener is not None and listener._thread is not None:
            with contextlib.suppress(queue.Full):
                self.queue.put_nowait(listener._sentinel)
            listener._thread.join(timeout=STOP_WAIT)
            listener._thread = None
        self.target.close()
        super().close()


def http_queue_handler(url: str) -> QueueingHandler:
    """Build the HTTP collector handler behind its queue (a ``dictConfig`` factory)."""
    return QueueingHandler(JsonHTTPHandler(url))


def _restart_listeners() -> None:
    for handler in list(_live):
        if handler.listener is not None:
            handler.restart_after_fork()


os.register_at_fork(after_in_child=_restart_listeners)
