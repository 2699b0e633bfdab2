"""Public pages' reads of committed data: one statement, one round trip, no transaction.

A page's read is a single statement, consistent on its own, and what it returns may be
cached for every reader, so it must see committed data only. Run through the request's
ORM session it would cost three more round trips on PostgreSQL (BEGIN, and at teardown
ROLLBACK, plus the session's machinery), and psycopg forgets its prepared statements on
every ROLLBACK, so each page query would be parsed and planned again. These reads run in
autocommit on a pooled connection instead: psycopg sends no BEGIN, nothing is rolled back,
and a statement run often is prepared once per connection.

Inside a transaction the session has begun (a view that wrote, a test that flushed) they
go through the session: they see what it wrote, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from sqlalchemy import Engine, Executable, Row

from .extensions import db

AUTOCOMMIT = "blogsite_autocommit_engine"


def _autocommit() -> Engine:
    """Return this app's engine in autocommit (the same pool: an option, not a new engine)."""
    engine = db.engine
    found: tuple[Engine, Engine] | None = current_app.extensions.get(AUTOCOMMIT)
    if found is None or found[0] is not engine:
        found = (engine, engine.execution_options(isolation_level="AUTOCOMMIT"))
        current_app.extensions[AUTOCOMMIT] = found
    return found[1]


def in_transaction() -> bool:
    """Return whether reads go through the session's transaction (they see its writes)."""
    # A request that has not used its session has none yet: none is made for this read.
    if not db.session.registry.has():
        return False
    session = db.session()  # the scoped proxy lacks in_transaction
    return session.in_transaction() or bool(session.new)


def rows(statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Row[Any]]:
    """Return every row ``statement`` selects with ``params``."""
    if in_transaction():
        return db.session.execute(statement, params).all()
    with _autocommit().connect() as connection:
        return connection.execute(statement, params).all()


def scalar(statement: Executable, params: dict[str, Any] | None = None) -> Any:
    """Return the first column of the first row ``statement`` selects, or None."""
    found = rows(statement, params)
    return found[0][0] if found else None
