"""Server-side sessions: one row per login, so that a logout or the console ends it for good.

The signed cookie holds a random secret under ``SESSION_KEY``; the ``user_sessions`` table
holds only its SHA-256. Flask-Login's user loader returns the user only while that row
exists and was seen within ``PERMANENT_SESSION_LIFETIME``; ending a session deletes the row.

The row (with the user's columns but the password hash) is cached under ``user:<id>`` and
``accounts``: a change to the user or their sessions bumps the first, ending sessions (a
bulk DELETE) the second, so every worker reads the table again on its next request.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import click
from flask import Flask, current_app, g, request, session
from flask.cli import with_appcontext
from flask_login import current_user
from sqlalchemy import CursorResult, Delete, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..caching import remembered
from ..caching.generations import current_state
from ..caching.invalidation import ACCOUNTS
from ..extensions import db
from ..models import MAX_ID, USER_AGENT_MAX, Author, User, UserSession, utcnow
from ..users import USER_COLUMNS, SignedIn, current_account
from .cookies import VerifiedCookies

SESSION_KEY = "_sid"
# A write per request would turn every page view into a database write (and serialise
# readers on SQLite); "last seen" to within a few minutes is all the account page needs.
TOUCH_EVERY = timedelta(minutes=5)

log = logging.getLogger(__name__)


def digest(token: str) -> str:
    """Return what the table stores for the cookie's secret ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def aware(moment: datetime) -> datetime:
    """Return ``moment`` in UTC (SQLite gives timestamps back without a zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def oldest_alive() -> datetime:
    """Return the time before which an unseen session counts as ended."""
    return utcnow() - current_app.permanent_session_lifetime


def begin(user: User) -> str:
    """Add a session row for ``user`` on this browser; return the secret for the cookie."""
    token = secrets.token_urlsafe(32)
    # Printable characters only: PostgreSQL refuses NUL, and the header is the client's word.
    agent = "".join(ch for ch in request.user_agent.string or "" if ch.isprintable())
    agent = agent[:USER_AGENT_MAX]
    db.session.add(UserSession(token_hash=digest(token), user=user, user_agent=agent))
    return token


def load(user_id: int, token: Any) -> SignedIn | None:
    """Return user ``user_id`` if ``token`` is one of their live sessions (cached, one query)."""
    if not isinstance(token, str) or not token:
        return None
    token_hash = digest(token)
    row = remembered(
        f"session:{user_id}:{token_hash}",
        [f"user:{user_id}", ACCOUNTS],
        lambda: session_row(user_id, token_hash),
        "session",
    )
    if row is None:
        return None
    last_seen = row["last_seen"]
    if last_seen < oldest_alive():
        return None  # not seen for longer than a session lives; pruned at the next login
    if utcnow() - last_seen >= TOUCH_EVERY:
        touch(row["session_id"], user_id)
    g.user_session_id = row["session_id"]
    g.author_id = row["author_id"]
    return SignedIn(row["user"])  # no ORM object: current_account() builds one if asked


def session_row(user_id: int, token_hash: str) -> dict[str, Any] | None:
    """Return the user's columns, session and author id for a live token (plain data)."""
    query = (
        select(User, UserSession.id, UserSession.last_seen_at, Author.id)
        .join(UserSession, UserSession.user_id == User.id)
        .outerjoin(Author, Author.user_id == User.id)
        .where(User.id == user_id, UserSession.token_hash == token_hash)
    )
    row = db.session.execute(query).first()
    if row is None:
        return None
    user, session_id, last_seen, author_id = row
    return {
        "user": {key: getattr(user, key) for key in USER_COLUMNS},
        "session_id": session_id,
        "last_seen": aware(last_seen),
        "author_id": author_id,
    }


def own_author_id() -> int | None:
    """Return the logged-in user's author id (the header's "My blogs"), without a query."""
    if not current_user.is_authenticated:
        return None
    if "author_id" in g:
        return cast(int | None, g.author_id)
    account = current_account()  # logged in by this very request: no cached row yet
    author = None if account is None else account.author
    return None if author is None else author.id


def touch(session_id: int, user_id: int) -> None:
    """Record that session ``session_id`` (of ``user_id``) was seen now."""
    # Core, on a connection of its own: outside the ORM session, so the cache invalidation
    # listeners and the audit log never see it, and the view's transaction is untouched.
    try:
        with db.engine.begin() as conn:
            statement = update(UserSession).where(UserSession.id == session_id)
            conn.execute(statement.values(last_seen_at=utcnow()))
    except SQLAlchemyError:  # a busy database must not fail the page; try again next time
        log.warning("could not record when session %s was last seen", session_id)
        return
    state = current_state()
    if state is not None:
        state.bump([f"user:{user_id}"])  # the cached row's last_seen is out of date


def current_id() -> int | None:
    """Return the id of this request's session row, once the user is loaded."""
    return g.get("user_session_id") if current_user.is_authenticated else None


def deleted(statement: Delete) -> int:
    """Run the DELETE ``statement`` in the ORM session; return how many rows it removed."""
    # Session.execute is typed for SELECTs; a DELETE's result is a CursorResult.
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def end(user_id: int, session_id: int) -> bool:
    """End session ``session_id`` if it belongs to ``user_id``; False if there is none."""
    if not 1 <= session_id <= MAX_ID:
        return False
    statement = delete(UserSession).where(
        UserSession.id == session_id, UserSession.user_id == user_id
    )
    return deleted(statement) > 0


def end_all(user_id: int, keep: int | None = None) -> int:
    """End every session of ``user_id`` except ``keep``; return how many ended."""
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    return deleted(statement)


def end_current() -> None:
    """End this browser's session row (logout)."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str) and token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == digest(token)))
        db.session.commit()


def prune(user_id: int | None = None) -> int:
    """Delete the expired rows (of ``user_id``, or of everyone); return how many."""
    statement = delete(UserSession).where(UserSession.last_seen_at < oldest_alive())
    if user_id is not None:
        statement = statement.where(UserSession.user_id == user_id)
    return deleted(statement)


def live_sessions(user_id: int) -> list[UserSession]:
    """Return the live sessions of ``user_id``, most recently seen first."""
    query = (
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.last_seen_at >= oldest_alive())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(db.session.scalars(query))


def count_live(user_ids: list[int]) -> dict[int, int]:
    """Return how many live sessions each of ``user_ids`` has (absent: none)."""
    if not user_ids:
        return {}
    query = (
        select(UserSession.user_id, func.count())
        .where(UserSession.user_id.in_(user_ids), UserSession.last_seen_at >= oldest_alive())
        .group_by(UserSession.user_id)
    )
    return {user_id: count for user_id, count in db.session.execute(query)}


def forget_ended_session() -> None:
    """Empty a session whose row has ended, before CSRF checks and views read it."""
    # Flask-WTF keeps the CSRF secret in the session: emptied, the old token is refused.
    if "_user_id" in session and not current_user.is_authenticated:
        session.clear()


@click.command("prune-sessions")
@with_appcontext
def prune_sessions_command() -> None:
    """Delete the sessions not seen for longer than PERMANENT_SESSION_LIFETIME."""
    count = prune()
    db.session.commit()
    click.echo(f"{count} expired session(s) deleted.")


def init_app(app: Flask) -> None:
    """Add ``flask prune-sessions``, ``own_author_id`` for templates, and the cookie sessions."""
    app.session_interface = VerifiedCookies()  # each worker verifies a cookie once
    app.cli.add_command(prune_sessions_command)
    app.jinja_env.globals["own_author_id"] = own_author_id
