"""The account page's list of sessions: end one, or every one but this browser's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required
from ua_parser import parse
from werkzeug.wrappers import Response

from ..extensions import db
from . import bp, sessions
from .signin import sign_out

UNKNOWN_BROWSER = "Unknown browser"
UNKNOWN_SYSTEM = "Unknown system"


@dataclass(frozen=True)
class Device:
    """One live session as the account page shows it."""

    id: int
    browser: str
    system: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def version(family: str, major: str | None) -> str:
    """Return "Family major", or the family alone when the version is unknown."""
    return f"{family} {major}" if major else family


@lru_cache(maxsize=256)  # a user has a handful of browsers; parsing costs a millisecond
def describe_agent(agent: str) -> tuple[str, str]:
    """Return the browser and the system a User-Agent string names (ua-parser's rules)."""
    result = parse(agent) if agent else None
    browser = result.user_agent if result else None
    system = result.os if result else None
    return (
        version(browser.family, browser.major) if browser else UNKNOWN_BROWSER,
        version(system.family, system.major) if system else UNKNOWN_SYSTEM,
    )


def devices(user_id: int) -> list[Device]:
    """Return the live sessions of ``user_id``, this browser's marked."""
    here = sessions.current_id()
    found = []
    for row in sessions.live_sessions(user_id):
        browser, system = describe_agent(row.user_agent)
        found.append(
            Device(
                id=row.id,
                browser=browser,
                system=system,
                created_at=sessions.aware(row.created_at),
                last_seen_at=sessions.aware(row.last_seen_at),
                current=row.id == here,
            )
        )
    return found


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> Response:
    """End one session of the current user (another user's is "not found")."""
    if not sessions.end(current_user.id, session_id):
        abort(404)
    db.session.commit()
    if session_id == sessions.current_id():
        sign_out()  # this browser's row is gone already: forget the login in the cookie
        flash("You are logged out.", "success")
        return redirect(url_for("auth.login"))
    flash("That session has ended: the device is logged out.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions() -> Response:
    """End every session of the current user except this browser's."""
    count = sessions.end_all(current_user.id, keep=sessions.current_id())
    db.session.commit()
    flash(f"Logged out of {count} other session(s).", "success")
    return redirect(url_for("auth.account"))
