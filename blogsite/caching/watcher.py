"""This process's copy of the generations, kept current by Redis invalidation pushes.

A worker that holds a page in memory still needs the current generations to know the
copy is good, and fetching them is a round trip per hit. Instead, one connection per
process asks Redis for client-side-caching invalidations of every generation key
(RESP3 ``CLIENT TRACKING ON BCAST PREFIX <prefix>gen:``). Redis pushes them in the same
event-loop turn in which it answers the writer, so by the time a visitor's next request
reaches this worker the push is waiting on the socket; ``lookup`` reads whatever is
waiting before it trusts its copy. The copy is trusted only while this connection has
heard from Redis within ``trust_seconds`` (a ping every ``heartbeat_seconds``), so a hung
Redis cannot keep a worker serving pages a missed write made stale for longer than that.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .breaker import BACKEND_ERRORS

MAX_KEYS = 10_000  # about 2 MB: a flood of unknown slugs must not grow the copy without bound


class GenerationWatcher:
    """Generations known to be current, invalidated by Redis as soon as they change."""

    def __init__(
        self,
        connect: Callable[[], Any],
        prefix: str,
        retry_seconds: float,
        heartbeat_seconds: float = 0.25,
        trust_seconds: float = 1.0,
    ) -> None:
        self._connect = connect  # returns a fresh, unconnected redis-py connection
        self._prefix = prefix
        self._retry_seconds = retry_seconds
        self._heartbeat = heartbeat_seconds
        self._trust = trust_seconds
        self._lock = threading.Lock()
        self._conn: Any = None
        self._pid = os.getpid()
        self._known: dict[str, str] = {}
        self._epoch = 0  # moves on every invalidation and reconnection
        self._heard = self._pinged = self._retry_at = 0.0

    def lookup(self, keys: Sequence[str]) -> tuple[list[str] | None, int]:
        """Return (the generations of ``keys`` or None if any is unknown, the epoch).

        Pass the epoch to ``remember`` after fetching the generations from Redis.
        """
        with self._lock:
            if not self._sync():
                return None, self._epoch
            try:
                return [self._known[key] for key in keys], self._epoch
            except KeyError:
                return None, self._epoch

    def remember(self, pairs: Sequence[tuple[str, str]], epoch: int) -> None:
        """Keep generations fetched after ``lookup`` returned ``epoch``.

        If anything was invalidated in between, the fetched values may predate it: drop them.
        """
        with self._lock:
            if epoch != self._epoch or self._conn is None:
                return
            if len(self._known) + len(pairs) > MAX_KEYS:
                self._known.clear()
            self._known.update(pairs)

    def close(self) -> None:
        with self._lock:
            self._reset()

    def _sync(self) -> bool:
        """Read pending invalidations; return whether the copy can be trusted now."""
        now = time.monotonic()
        if self._pid != os.getpid():  # forked: the parent's socket is not ours
            self._conn, self._pid = None, os.getpid()
            self._reset()
        try:
            if self._conn is None and not self._open(now):
                return False
            while self._conn.can_read(0):
                if self._conn.read_response(push_request=True) is not None:
                    self._heard = now  # a PONG (pushes are handled by _invalidate)
            if now - self._pinged >= self._heartbeat:
                self._conn.send_command("PING")
                self._pinged = now
        except BACKEND_ERRORS:
            self._reset()
            self._retry_at = now + self._retry_seconds
            return False
        return now - self._heard < self._trust

    def _open(self, now: float) -> bool:
        if now < self._retry_at:
            return False
        conn = self._connect()
        try:
            conn.connect()
            if getattr(conn, "protocol", 2) not in (3, "3"):
                raise ConnectionError("client-side caching needs RESP3")
            conn._parser.set_invalidation_push_handler(self._invalidate)
            conn.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self._prefix)
            conn.read_response()
        except BaseException:
            conn.disconnect()
            raise
        self._conn = conn
        self._epoch += 1  # values fetched before tracking began may be stale
        self._heard = self._pinged = now
        return True

    def _invalidate(self, message: list[Any]) -> None:
        """Handle ``["invalidate", [keys] | None]`` (None: the database was flushed)."""
        self._epoch += 1
        self._heard = time.monotonic()
        keys = message[1] if len(message) > 1 else None
        if keys is None:
            self._known.clear()
            return
        for key in keys:
            self._known.pop(key.decode() if isinstance(key, bytes) else key, None)

    def _reset(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(BACKEND_ERRORS):
                self._conn.disconnect()
        self._conn = None
        self._known.clear()
        self._epoch += 1
