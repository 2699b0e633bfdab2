"""POST JSON records to an HTTP collector over a kept-alive connection, retrying what fails."""

from __future__ import annotations

import base64
import contextlib
import http.client
import logging
import random
import sys
import threading
import time
from urllib.parse import urlsplit

HTTP_TIMEOUT = 5.0
# A failed batch is tried again: at once first (a collector closing an idle keep-alive
# connection, or resetting it, is normal and costs one new connection), then with backoff.
# At most MAX_ATTEMPTS in a row and RETRY_SECONDS of failures, so a dead collector costs
# each batch a few seconds, and the queue in front of it fills and counts its drops.
BACKOFF = (0.0, 0.25, 0.5, 1.0)  # seconds before attempts 2, 3, 4 and 5
MAX_ATTEMPTS = len(BACKOFF) + 1
RETRY_SECONDS = 15.0
REPORT_EVERY = 60.0  # seconds between two reports of the same trouble


class Reporter:
    """Report lost records on stderr, at most once a minute, with how many were lost."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def __call__(self, detail: str, count: int = 1) -> None:
        with self.lock:
            self.count += count
            now = time.monotonic()
            if now - self.last < REPORT_EVERY and self.last:
                return
            count, self.count, self.last = self.count, 0, now
        # stderr, not a log record: the logging pipeline is what is failing here.
        sys.stderr.write(f"blogsite logging: {self.what} ({count}x): {detail}\n")


def _retryable(status: int) -> bool:
    # 5xx and 429 say "try again later"; any other 4xx refuses the record itself.
    return status >= 500 or status == 429


class JsonHTTPHandler(logging.Handler):
    """POST each formatted JSON record to a collector; retry a failed batch with backoff.

    Delivery is at least once: a collector that stores a record and then drops the
    connection before answering gets that record again.
    """

    def __init__(self, url: str, timeout: float = HTTP_TIMEOUT) -> None:
        super().__init__()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"LOG_HTTP_URL must be an http(s) URL, not {url!r}")
        self.host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.secure = parts.scheme == "https"
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json"}
        if parts.username:
            pair = f"{parts.username}:{parts.password or ''}".encode()
            self.headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        self.connection: http.client.HTTPConnection | None = None
        self.closing = threading.Event()
        self.report = Reporter(f"cannot deliver log records to {parts.scheme}://{self.host}")

    def emit(self, record: logging.LogRecord) -> None:
        self.deliver([self.format(record).encode("utf-8")])

    def deliver(self, bodies: list[bytes]) -> int:
        """POST ``bodies`` in order, retrying after a failure; return how many were lost."""
        sent = failures = 0
        first_failure = 0.0
        while sent < len(bodies):
            try:
                status = self._post(bodies[sent])
            except (OSError, http.client.HTTPException) as error:
                self.drop_connection()
                problem = f"{type(error).__name__}: {error}"
            else:
                if status < 400 or not _retryable(status):
                    if status >= 400:
                        self.report(f"the collector refused a record with HTTP {status}")
                    sent, failures = sent + 1, 0
                    continue
                problem = f"the collector answered HTTP {status}"
            failures += 1
            if failures == 1:
                first_failure = time.monotonic()
            if (
                failures >= MAX_ATTEMPTS
                or time.monotonic() - first_failure >= RETRY_SECONDS
                or self.closing.wait(
                    BACKOFF[failures - 1] * random.uniform(0.8, 1.2)
                )  # jitter: workers retry apart
            ):
                self.report(problem, len(bodies) - sent)
                return len(bodies) - sent
        return 0

    def _post(self, body: bytes) -> int:
        if self.connection is None:
            cls = http.client.HTTPSConnection if self.secure else http.client.HTTPConnection
            self.connection = cls(self.host, timeout=self.timeout)
        self.connection.request("POST", self.path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        response.read()  # the connection carries the next request only once this one is read
        return response.status

    def drop_connection(self) -> None:
        """Forget the kept-alive connection (after an error, or in a forked child)."""
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def close(self) -> None:
        """Stop retrying and close the connection."""
        self.closing.set()
        self.drop_connection()
        super().close()
