"""This process's copy of the generations, kept current by Redis invalidation pushes.

A worker that holds a page in memory still needs the current generations to know the
copy is good, and fetching them is a round trip per hit. Instead, one connection per
process asks Redis for client-side-caching invalidations of every generation key
(RESP3 ``CLIENT TRACKING ON BCAST PREFIX <prefix>gen:``). Redis pushes them in the same
event-loop turn in which it answers the writer; ``lookup`` reads whatever is waiting
before it trusts its copy, and any push makes it forget the whole copy (redis-py shows a
push's keys only through a private parser hook; generations change only on writes).

Trust is bounded: a heartbeat (PING, or ROLE behind Sentinel, where a demoted master must
not be trusted) goes out every ``heartbeat_seconds``, and the copy is trusted only while
the last answer read was to a heartbeat sent less than ``trust_seconds`` ago. Redis
answers on this connection in order, so every push for a write made before that heartbeat
has been read: whatever happens to Redis or the network, a hit is at most
``trust_seconds`` behind.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .breaker import BACKEND_ERRORS

MAX_KEYS = 10_000  # about 2 MB: a flood of unknown slugs must not grow the copy without bound
MAX_UNANSWERED = 64  # heartbeats: a hung Redis is given up on (and retried) after that many
logger = logging.getLogger("blogsite.caching")


class GenerationWatcher:
    """Generations known to be current, invalidated by Redis as soon as they change."""

    def __init__(
        self,
        connect: Callable[[], Any],
        prefix: str,
        retry_seconds: float,
        heartbeat_seconds: float = 0.25,
        trust_seconds: float = 1.0,
        heartbeat: tuple[str, ...] = ("PING",),
    ) -> None:
        self._connect = connect  # returns a fresh, unconnected redis-py connection
        self._prefix = prefix
        self._retry_seconds = retry_seconds
        self._heartbeat_every = heartbeat_seconds
        self._trust = trust_seconds
        self._heartbeat = heartbeat
        self._lock = threading.Lock()
        self._conn: Any = None
        self._pid = os.getpid()
        self._known: dict[str, str] = {}
        self._epoch = 0  # moves on every invalidation and reconnection
        self._sent: collections.deque[float] = collections.deque()  # heartbeats awaiting answers
        self._heard = self._pinged = self._retry_at = 0.0
        self._failing = False

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
                reply = self._conn.read_response(push_request=True)
                if reply is None:  # a push: redis-py reads it but hands out no keys
                    self._forget()
                else:
                    self._answered(reply)
            if now - self._pinged >= self._heartbeat_every:
                if len(self._sent) >= MAX_UNANSWERED:
                    raise ConnectionError("Redis stopped answering")
                self._conn.send_command(*self._heartbeat)
                self._sent.append(now)
                self._pinged = now
        except BACKEND_ERRORS as error:
            self._reset()
            self._retry_at = now + self._retry_seconds
            if not self._failing:
                self._failing = True
                logger.warning("Generation watcher down (%s); hits fetch generations.", error)
            return False
        return now - self._heard < self._trust

    def _answered(self, reply: Any) -> None:
        """A heartbeat's answer: everything Redis pushed before it has been read."""
        if not self._sent:
            raise ConnectionError("an answer nobody asked for")
        if isinstance(reply, list) and reply and reply[0] not in (b"master", "master"):
            raise ConnectionError("this Redis is no longer the master")
        self._heard = self._sent.popleft()

    def _open(self, now: float) -> bool:
        if now < self._retry_at:
            return False
        conn = self._connect()
        conn.register_connect_callback(self._track)  # again on any reconnection
        try:
            conn.connect()
        except BaseException:
            conn.disconnect()
            raise
        self._conn = conn
        if self._failing:
            self._failing = False
            logger.warning("Generation watcher connected again.")
        return True

    def _track(self, conn: Any) -> None:
        """Turn tracking on for a new connection; nothing known before it can be trusted."""
        if conn.get_protocol() not in (3, "3"):
            raise ConnectionError("client-side caching needs RESP3")
        conn.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self._prefix)
        conn.read_response()
        self._known.clear()
        self._sent.clear()
        self._epoch += 1
        self._heard = self._pinged = time.monotonic()  # tracking is on as of now

    def _forget(self) -> None:
        """An invalidation arrived: forget every generation (the next hits fetch them).

        redis-py has no public way to see which keys a push names; generations change only
        on writes, so forgetting them all costs one round trip per page after a write.
        """
        self._epoch += 1
        self._known.clear()

    def _reset(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(*BACKEND_ERRORS):
                self._conn.disconnect()
        self._conn = None
        self._known.clear()
        self._sent.clear()
        self._epoch += 1
