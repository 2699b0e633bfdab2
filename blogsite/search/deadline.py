"""Cut a search short: PostgreSQL's ``statement_timeout``, SQLite's progress handler.

A reader's query must not hold a worker and a database connection for long: a phrase whose
words are in every blog but never side by side makes either database check every blog.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError

from ..extensions import db

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cut by statement_timeout
STEPS = 1_000  # SQLite virtual-machine steps between two looks at the clock


def timed_out(error: OperationalError) -> bool:
    """Return whether ``error`` is a statement cut short by its deadline."""
    if getattr(error.orig, "sqlstate", None) == QUERY_CANCELED:
        return True
    # sqlite3 raises "interrupted" when the progress handler below stops a statement.
    return isinstance(error.orig, sqlite3.OperationalError) and "interrupted" in str(error.orig)


@contextmanager
def sqlite_deadline(limit_ms: int) -> Iterator[None]:
    """Interrupt the SQLite statements run inside after ``limit_ms`` in all (0: never)."""
    raw = db.session.connection().connection.driver_connection
    if limit_ms <= 0 or not isinstance(raw, sqlite3.Connection):
        yield
        return
    end = time.monotonic() + limit_ms / 1000

    def past_deadline() -> bool:
        return time.monotonic() > end  # true: SQLite stops the statement

    raw.set_progress_handler(past_deadline, STEPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)
