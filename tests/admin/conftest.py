"""Console fixtures: staff and superuser accounts, and a client logged in at /admin/login/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from blogsite.admin.audit import AuditEntry
from blogsite.extensions import db

from ..conftest import DEFAULT_PASSWORD

SUPERUSER_PHONE = "+819011110000"
STAFF_PHONE = "+819022220000"
READER_PHONE = "+819033330000"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """Return the first CSRF token of a page."""
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def admin_login(client: Any, phone_no: str, password: str = DEFAULT_PASSWORD) -> Any:
    data = {"phone_no": phone_no, "password": password}
    page = client.get("/admin/login/").get_data(as_text=True)
    if "csrf_token" in page:
        data["csrf_token"] = csrf_token(page)
    return client.post("/admin/login/", data=data)


def audit_entries(app: Any) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return list(entries)


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def superuser(make_user: Any) -> int:
    return make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)


@pytest.fixture
def staff(make_user: Any) -> int:
    return make_user(STAFF_PHONE, name="Editor", is_staff=True)


@pytest.fixture
def reader(make_user: Any) -> int:
    return make_user(READER_PHONE, name="Reader")


@pytest.fixture
def console(client: Any, superuser: int) -> Any:
    """A test client logged in to the console as a superuser."""
    response = admin_login(client, SUPERUSER_PHONE)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
