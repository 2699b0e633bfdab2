"""Handlers: stdout, and an HTTP collector behind a queue so that it never slows a request."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import queue
import sys
import threading
import time
import weakref
from queue import Queue
from typing import TextIO

from .shipping import REPORT_EVERY, JsonHTTPHandler

QUEUE_SIZE = 10_000
BATCH_SIZE = 100  # records the shipping thread takes off the queue at once
STOP_WAIT = 2.0  # seconds a shutdown waits for queued records to reach the collector
IDLE_POLL = 1.0  # seconds between two looks at the stop flag of an idle shipping thread
DROP_GRACE = 5.0  # seconds of dropping before a warning that cannot wait for the end of it
SHIPPING_LOGGER = "blogsite.logs.shipping"  # its records never go to the collector
_STOP = object()


class StdoutHandler(logging.StreamHandler[TextIO]):
    """Write to whatever ``sys.stdout`` is now (it may be replaced after start-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class DropCounter:
    """Count records dropped on a full queue, and say when to warn and with what count.

    A warning sums up a whole episode: it is due when the queue takes records again, or
    DROP_GRACE seconds into a long one; never more than once every REPORT_EVERY seconds.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self.pending = 0
        self.first = 0.0
        self.last_warning = -REPORT_EVERY

    def drop(self) -> None:
        with self.lock:
            self.total += 1
            self.pending += 1
            if self.pending == 1:
                self.first = time.monotonic()

    def due(self, queue_full: bool, force: bool = False) -> int:
        """Return the count to warn about now (0: no warning due), and reset it."""
        if not self.pending:  # the common case, without the lock
            return 0
        with self.lock:
            now = time.monotonic()
            waited = now - self.last_warning >= REPORT_EVERY
            ripe = not queue_full or now - self.first >= DROP_GRACE
            if not self.pending or not (force or (waited and ripe)):
                return 0
            count, self.pending, self.last_warning = self.pending, 0, now
            return count


_live: weakref.WeakSet[QueueingHandler] = weakref.WeakSet()


class QueueingHandler(logging.handlers.QueueHandler):
    """Queue formatted records for a shipping thread; count drops when the queue is full."""

    queue: Queue[object]  # always a queue.Queue here (the base types any queue-like object)

    def __init__(self, target: JsonHTTPHandler, maxsize: int = QUEUE_SIZE) -> None:
        super().__init__(queue.Queue(maxsize))
        self.target = target
        self.maxsize = maxsize
        self.drops = DropCounter()
        self.worker: threading.Thread | None = None
        self.stopping = threading.Event()
        self._start()
        _live.add(self)

    @property
    def dropped(self) -> int:
        """Return how many records were dropped on a full queue since start-up."""
        return self.drops.total

    def _start(self) -> None:
        self.stopping = threading.Event()
        self.worker = threading.Thread(
            target=self._serve, args=(self.queue, self.stopping), name="log-shipper", daemon=True
        )
        self.worker.start()

    def _serve(self, records: Queue[object], stopping: threading.Event) -> None:
        done = False
        while not done:
            try:
                first = records.get(timeout=IDLE_POLL)
            except queue.Empty:
                done = stopping.is_set()
                continue
            batch: list[bytes] = []
            item = first
            while True:
                if item is _STOP:
                    done = True
                    break
                batch.append(item)  # type: ignore[arg-type]
                if len(batch) >= BATCH_SIZE:
                    break
                try:
                    item = records.get_nowait()
                except queue.Empty:
                    break
            try:
                self.target.deliver(batch)
            except Exception as error:  # the thread must outlive any one batch
                self.target.report(f"{type(error).__name__}: {error}", len(batch))

    def handle(self, record: logging.LogRecord) -> bool:
        # The drop warning must not queue behind the trouble it reports (nor recurse).
        if record.name == SHIPPING_LOGGER:
            return False
        accepted = bool(super().handle(record))
        if self.drops.pending and (count := self.drops.due(self.queue.full())):
            logging.getLogger(SHIPPING_LOGGER).warning(
                "log records dropped: the queue to the collector was full",
                extra={"dropped": count, "queue_size": self.maxsize},
            )
        return accepted

    def prepare(self, record: logging.LogRecord) -> bytes:
        # The JSON line is all the shipping thread needs: no record copy in the queue.
        return self.format(record).encode("utf-8")

    def enqueue(self, record: object) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.drops.drop()

    def restart_after_fork(self) -> None:
        """Give a forked child a fresh queue, thread and connection (threads do not survive)."""
        self.queue = queue.Queue(self.maxsize)
        self.drops = DropCounter()
        self.target.drop_connection()
        self._start()

    def close(self) -> None:
        """Stop the thread, waiting briefly for queued records: a hung collector must not
        hold up a shutdown or a reconfiguration."""
        worker, self.worker = self.worker, None
        if worker is not None:
            self.stopping.set()
            with contextlib.suppress(queue.Full):
                self.queue.put_nowait(_STOP)
            worker.join(timeout=STOP_WAIT)
        if count := self.drops.due(queue_full=True, force=True):
            sys.stderr.write(f"blogsite logging: {count} log records dropped: queue full\n")
        self.target.close()
        super().close()


def http_queue_handler(url: str, queue_size: int = QUEUE_SIZE) -> QueueingHandler:
    """Build the HTTP collector handler behind its queue (a ``dictConfig`` factory)."""
    return QueueingHandler(JsonHTTPHandler(url), queue_size)


def _restart_workers() -> None:
    for handler in list(_live):
        if handler.worker is not None:
            handler.restart_after_fork()


os.register_at_fork(after_in_child=_restart_workers)
