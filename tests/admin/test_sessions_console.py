"""The console ends every session of a user, audited, and shows how many they have."""

from __future__ import annotations

import re

import pytest

from blogsite.extensions import db
from blogsite.models import User

from ..conftest import DEFAULT_PASSWORD
from ..test_session_end import IPHONE, app_config, log_in, logged_in, replay, rows  # noqa: F401
from .conftest import READER_PHONE, SUPERUSER_PHONE, audit_entries, csrf_token


def sessions_cell(page: str, name: str) -> str:
    """Return the Sessions cell of ``name``'s row in the user list."""
    row = next(r for r in page.split("<tr") if name in r)
    return re.findall(r'<td class="col-sessions">\s*([^<]*?)\s*</td>', row)[0]


def test_console_ends_all_sessions_of_a_user(console, app, reader):
    phone = log_in(app, IPHONE, phone_no=READER_PHONE)
    laptop = log_in(app, phone_no=READER_PHONE)
    listing = console.get("/admin/users/").get_data(as_text=True)
    assert sessions_cell(listing, "Reader") == "2"
    response = console.post(
        "/admin/users/action/", data={"action": "end_sessions", "rowid": [str(reader)]}
    )
    assert response.status_code == 302
    assert "2 session(s) ended." in console.get("/admin/users/").get_data(as_text=True)
    assert not logged_in(phone) and not logged_in(laptop)
    assert rows(app, reader) == []
    entry = audit_entries(app)[-1]
    assert (entry.action, entry.object_id, entry.changed_fields) == (
        "changed",
        str(reader),
        ["sessions"],
    )
    assert console.get("/admin/users/").status_code == 200  # the superuser's own survives


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_console_ending_sessions_needs_the_csrf_token(app, client, superuser, reader):
    phone = log_in(app, IPHONE, phone_no=READER_PHONE)
    page = client.get("/admin/login/").get_data(as_text=True)
    login = {"phone_no": SUPERUSER_PHONE, "password": DEFAULT_PASSWORD}
    assert (
        client.post("/admin/login/", data=login | {"csrf_token": csrf_token(page)}).status_code
        == 302
    )
    action = {"action": "end_sessions", "rowid": [str(reader)]}
    assert client.post("/admin/users/action/", data=action).status_code == 400
    assert logged_in(phone)
    token = csrf_token(client.get("/admin/users/").get_data(as_text=True))
    assert (
        client.post("/admin/users/action/", data=action | {"csrf_token": token}).status_code == 302
    )
    assert not logged_in(phone)


def test_console_password_change_ends_the_users_sessions(console, app, reader):
    phone = log_in(app, IPHONE, phone_no=READER_PHONE)
    password = "a brand new passphrase"
    response = console.post(
        f"/admin/users/password/{reader}/", data={"password": password, "confirm": password}
    )
    assert response.status_code == 302
    assert not logged_in(phone)
    with app.app_context():
        assert db.session.get(User, reader).check_password(password)


def test_console_logout_ends_the_session(console, app, superuser):
    copy = replay(app, console)
    assert console.post("/admin/logout/").status_code == 302
    assert rows(app, superuser) == []
    assert copy.get("/admin/users/").status_code == 302
