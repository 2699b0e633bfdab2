"""A circuit breaker: when Redis fails, every cache call is a miss until a timed retry."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis.exceptions import RedisClusterException, RedisError

from ..metrics import set_breaker_state

T = TypeVar("T")
logger = logging.getLogger("blogsite.caching")

# What a dead, hung or failing-over Redis raises; anything else is a bug and propagates.
BACKEND_ERRORS: tuple[type[BaseException], ...] = (RedisError, RedisClusterException, OSError)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    """Short-circuit cache calls while the backend is down, one trial per retry interval."""

    def __init__(self, retry_seconds: float, on_recover: Callable[[], None]) -> None:
        self.retry_seconds = float(retry_seconds)
        self._on_recover = on_recover
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._trial_running = False
        set_breaker_state("closed")

    @property
    def state(self) -> str:
        """Return ``closed``, ``open`` or ``half-open`` (a trial call is running)."""
        if self._opened_at is None:
            return CLOSED
        return HALF_OPEN if self._trial_running else OPEN

    @property
    def is_closed(self) -> bool:
        return self._opened_at is None

    def call(self, fn: Callable[[], T], fallback: T) -> T:
        """Return ``fn()``, or ``fallback`` at once while open or when ``fn`` fails."""
        if self._opened_at is None:
            try:
                return fn()
            except BACKEND_ERRORS as error:
                self.trip(error)
                return fallback
        decision = self._begin_trial()
        if decision == CLOSED:
            return self.call(fn, fallback)  # another thread's trial closed it meanwhile
        if decision != HALF_OPEN:
            return fallback
        return self._trial(fn, fallback)

    def probe(self, fn: Callable[[], T], fallback: T) -> T:
        """Like ``call``, but while open run the trial now instead of after the retry interval.

        For readiness checks: a probe every few seconds is the cheap way to notice that
        the backend is back, and the one caller that must not report a stale state.
        """
        decision = self._begin_trial(force=True)
        if decision == CLOSED:
            return self.call(fn, fallback)
        if decision != HALF_OPEN:
            return fallback  # another thread's trial is running: no second connection attempt
        return self._trial(fn, fallback)

    def _trial(self, fn: Callable[[], T], fallback: T) -> T:
        """Run the recovery and ``fn`` as this thread's trial; close the circuit if both work."""
        try:
            # Recovery first (it bumps gen:all): nothing cached before the outage may be
            # served once writes made during it could have been missed.
            self._on_recover()
            result = fn()
        except BACKEND_ERRORS:
            with self._lock:
                self._opened_at = time.monotonic()
                self._trial_running = False
            set_breaker_state("open")
            return fallback
        with self._lock:
            self._opened_at = None
            self._trial_running = False
        set_breaker_state("closed")
        logger.warning("Cache backend reachable again; circuit closed, gen:all bumped.")
        return result

    def trip(self, error: BaseException | None = None) -> None:
        """Open the circuit (logging once per state change)."""
        with self._lock:
            was_closed = self._opened_at is None
            self._opened_at = time.monotonic()
        if was_closed:
            set_breaker_state("open")
            reason = type(error).__name__ if error is not None else "failure"
            logger.warning(
                "Cache backend unreachable (%s); circuit open, serving without cache, "
                "retrying every %.1f s.",
                reason,
                self.retry_seconds,
            )

    def _begin_trial(self, force: bool = False) -> str:
        """Return CLOSED, OPEN (short-circuit) or HALF_OPEN (this thread runs the trial)."""
        with self._lock:
            opened_at = self._opened_at
            if opened_at is None:
                return CLOSED
            waiting = time.monotonic() - opened_at < self.retry_seconds
            if self._trial_running or (waiting and not force):
                return OPEN
            self._trial_running = True
        set_breaker_state("half_open")
        return HALF_OPEN
