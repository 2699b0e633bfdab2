"""Server-side sessions: a logout ends them for good; the account page and console end them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from blogsite.admin.audit import AuditEntry
from blogsite.auth.sessions import TOUCH_EVERY, aware
from blogsite.extensions import db
from blogsite.models import Blog, User, UserSession, utcnow

from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE, count_queries

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
OTHER_PHONE = "+819087654321"
BLOG = {"title": "Replayed", "content": "Written with a stolen cookie.", "tags": "",
        "cover_image": "", "status": "published"}  # fmt: skip
_END_URL = re.compile(r'action="/auth/sessions/(\d+)/end"')
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """Let a test switch settings on (``indirect`` parametrization)."""
    return app_config | getattr(request, "param", {})


def csrf_token(page: str) -> str:
    return _TOKEN.search(page).group(1)


def log_in(app: Any, agent: str = CHROME, phone_no: str = DEFAULT_PHONE) -> Any:
    """Return a new browser logged in as ``phone_no`` and naming itself ``agent``."""
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = agent
    data = {"phone_no": phone_no, "password": DEFAULT_PASSWORD}
    if app.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = csrf_token(browser.get("/auth/login").get_data(as_text=True))
    response = browser.post("/auth/login", data=data)
    assert response.status_code == 302
    return browser


def logged_in(browser: Any) -> bool:
    return browser.get("/auth/account").status_code == 200


def replay(app: Any, browser: Any) -> Any:
    """Return another browser holding a copy of ``browser``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def rows(app: Any, user_id: int | None = None) -> list[UserSession]:
    with app.app_context():
        query = select(UserSession).order_by(UserSession.id)
        if user_id is not None:
            query = query.where(UserSession.user_id == user_id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def test_a_cookie_replayed_after_logout_is_anonymous(app, make_user):
    make_user()
    browser = log_in(app)
    copy = replay(app, browser)
    assert logged_in(copy)  # the copy works while the session lives
    assert browser.post("/auth/logout").status_code == 302
    assert rows(app) == []
    thief = replay(app, copy)
    account = thief.get("/auth/account")
    assert account.status_code == 302 and "/auth/login" in account.headers["Location"]
    written = thief.post("/blog/new", data=BLOG)
    assert written.status_code == 302 and "/auth/login" in written.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Blog)) == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_a_replayed_cookie_and_its_csrf_token_are_refused(app, make_user):
    make_user()
    browser = log_in(app)
    token = csrf_token(browser.get("/blog/new").get_data(as_text=True))
    copy = replay(app, browser)
    assert browser.post("/auth/logout", data={"csrf_token": token}).status_code == 302

    thief = replay(app, copy)
    written = thief.post("/blog/new", data=BLOG | {"csrf_token": token})
    assert written.status_code == 302 and "/auth/login" in written.headers["Location"]
    # A globally protected form: the token's secret went with the session.
    assert replay(app, copy).post("/auth/logout", data={"csrf_token": token}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Blog)) == 0


def test_the_account_page_lists_live_sessions(app, make_user):
    make_user()
    laptop = log_in(app, CHROME)
    phone = log_in(app, IPHONE)
    log_in(app, "")  # a client that names nothing
    page = laptop.get("/auth/account").get_data(as_text=True)
    assert "Chrome 120" in page and "Windows 10" in page
    assert "Mobile Safari 17" in page and "iOS 17" in page
    assert "Unknown browser" in page and "Unknown system" in page
    assert page.count("This device") == 1
    assert len(_END_URL.findall(page)) == 2  # the others; this one logs out from the menu
    assert "Log out all other sessions" in page
    mine = phone.get("/auth/account").get_data(as_text=True)
    assert mine.index("Mobile Safari 17") < mine.index("This device") < mine.index("Chrome 120")


def test_odd_user_agents_are_stored_clean_and_short(app, make_user):
    user_id = make_user()
    log_in(app, "Evil\x00Agent\x1b[31m/1.0 " + "x" * 400)
    (row,) = rows(app, user_id)
    assert row.user_agent.startswith("EvilAgent[31m/1.0 x") and len(row.user_agent) == 255


def test_end_one_session(app, make_user):
    make_user()
    laptop = log_in(app, CHROME)
    phone = log_in(app, IPHONE)
    tablet = log_in(app, FIREFOX)
    page = laptop.get("/auth/account").get_data(as_text=True)
    ends = dict(zip(("phone", "tablet"), sorted(map(int, _END_URL.findall(page))), strict=True))
    response = laptop.post(f"/auth/sessions/{ends['phone']}/end")
    assert response.status_code == 302
    assert "That session has ended" in laptop.get("/auth/account").get_data(as_text=True)
    assert not logged_in(phone)
    assert logged_in(laptop) and logged_in(tablet)
    assert laptop.post(f"/auth/sessions/{ends['phone']}/end").status_code == 404  # gone
    assert laptop.post("/auth/sessions/99999999999999999999/end").status_code == 404
    assert laptop.get(f"/auth/sessions/{ends['tablet']}/end").status_code == 405


def test_ending_your_own_session_logs_you_out(app, make_user):
    user_id = make_user()
    laptop = log_in(app)
    (own,) = rows(app, user_id)
    response = laptop.post(f"/auth/sessions/{own.id}/end")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert not logged_in(laptop) and rows(app) == []


def test_log_out_all_other_sessions(app, make_user):
    user_id = make_user()
    others = [log_in(app, CHROME), log_in(app, IPHONE)]
    here = log_in(app, FIREFOX)
    response = here.post("/auth/sessions/end-others")
    assert response.status_code == 302
    assert "Logged out of 2 other session(s)." in here.get("/auth/account").get_data(as_text=True)
    assert logged_in(here)
    assert not any(logged_in(browser) for browser in others)
    assert len(rows(app, user_id)) == 1


def test_nobody_ends_another_users_session(app, make_user):
    make_user()
    victim_id = make_user(OTHER_PHONE, name="Other")
    attacker = log_in(app)
    victim = log_in(app, IPHONE, phone_no=OTHER_PHONE)
    (target,) = rows(app, victim_id)
    assert attacker.post(f"/auth/sessions/{target.id}/end").status_code == 404
    attacker.post("/auth/sessions/end-others")
    assert logged_in(victim) and len(rows(app, victim_id)) == 1
    assert app.test_client().post(f"/auth/sessions/{target.id}/end").status_code == 302  # login


def test_password_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    user_id = make_user()
    other = log_in(app, IPHONE)
    here = log_in(app, CHROME)
    new = "a different long passphrase"
    form = {"password-current_password": DEFAULT_PASSWORD, "password-new_password": new,
            "password-confirm": new, "password-change_password": "y"}  # fmt: skip
    assert here.post("/auth/account", data=form).status_code == 302
    assert logged_in(here) and not logged_in(other)
    assert [row.user_agent for row in rows(app, user_id)] == [CHROME]


def test_last_seen_is_written_once_every_few_minutes(app, make_user):
    user_id = make_user()
    browser = log_in(app)
    with count_queries(app) as statements:
        for _ in range(3):
            assert logged_in(browser)
    assert not [s for s in statements if "user_sessions" in s and s.lstrip().startswith("UPDATE")]

    long_ago = utcnow() - TOUCH_EVERY - timedelta(seconds=5)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=long_ago))
        db.session.commit()
        audited = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with count_queries(app) as statements:
        assert logged_in(browser)
        assert logged_in(browser)
    touches = [s for s in statements if s.lstrip().startswith("UPDATE user_sessions")]
    assert len(touches) == 1  # the second request finds it fresh
    (row,) = rows(app, user_id)
    assert utcnow() - aware(row.last_seen_at) < timedelta(minutes=1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audited


def test_a_session_unseen_for_its_lifetime_has_ended(app, make_user):
    user_id = make_user()
    browser = log_in(app)
    lifetime = app.permanent_session_lifetime
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - lifetime))
        db.session.commit()
    assert not logged_in(browser)
    log_in(app)  # a login prunes the user's expired rows
    assert len(rows(app, user_id)) == 1


def test_deleting_a_user_deletes_their_sessions(app, make_user):
    user_id = make_user()
    log_in(app)
    with app.app_context():
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()
    assert rows(app) == []


def test_prune_sessions_deletes_only_expired_rows(app, runner, make_user):
    user_id = make_user()
    log_in(app)
    log_in(app, IPHONE)
    with app.app_context():
        oldest = db.session.scalar(select(func.min(UserSession.id)))
        stale = utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)
        statement = update(UserSession).where(UserSession.id == oldest)
        db.session.execute(statement.values(last_seen_at=stale))
        db.session.commit()
    result = runner.invoke(args=["prune-sessions"])
    assert result.exit_code == 0 and "1 expired session(s) deleted." in result.output
    assert [row.user_agent for row in rows(app, user_id)] == [IPHONE]
