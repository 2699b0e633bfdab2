"""Pooled PostgreSQL connections checked on checkout without a round trip.

``pool_pre_ping`` sends a query on every checkout: one more round trip per request and per
read. A connection the server has given up (a restart, a crash, ``pg_terminate_backend``,
a proxy's idle timeout) says so on its socket: the server's FATAL goodbye, or the end of
the stream, is waiting there to be read. An idle connection with nothing to read is as
alive as a ping would find it (a silently lost network hangs a ping as it hangs a query);
one with something waiting gets the real ping, and a failed ping replaces every pooled
connection, as ``pool_pre_ping`` does (a restart killed them all).
"""

from __future__ import annotations

import select
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event, exc

from .extensions import db


def quiet(dbapi_connection: Any) -> bool:
    """Return whether nothing waits to be read on an idle connection's socket."""
    descriptor = dbapi_connection.fileno()
    if not hasattr(select, "poll"):  # Windows: select() only (no limit on socket numbers)
        return not select.select([descriptor], [], [], 0)[0]
    # poll() elsewhere: select() refuses descriptors past 1,023, which a busy process has.
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    return not poller.poll(0)


def listen(engine: Engine) -> None:
    """Check ``engine``'s connections on checkout: by their socket, pinging when it spoke."""
    dialect = engine.dialect

    def check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if quiet(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool retries with a new connection and drops the others (older than now).
            raise exc.InvalidatePoolError(f"closed by the server: {error}") from error

    event.listen(engine, "checkout", check)


def init_app(app: Flask) -> None:
    """Watch PostgreSQL connections, unless the configuration asked for ``pool_pre_ping``."""
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    if options.get("pool_pre_ping"):
        return
    with app.app_context():
        listen(db.engine)
