"""Every account and writing form with CSRF protection switched on, as in production."""

from __future__ import annotations

import re
from typing import Any

import pytest

from blogsite.extensions import db
from blogsite.models import Blog, User

from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE

REFUSED = "The form&#39;s security check failed (the CSRF token is missing), so nothing was done."


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def token(client, path: str) -> str:
    """Fetch ``path`` and return the CSRF token of its form."""
    page = client.get(path).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="[\w-]*csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', field).group(1)


def login(client, with_token: bool = True) -> Any:
    data = {"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD}
    if with_token:
        data["csrf_token"] = token(client, "/auth/login")
    return client.post("/auth/login", data=data)


def count(app, model) -> int:
    with app.app_context():
        return len(db.session.scalars(db.select(model)).all())


def test_register_needs_the_token(app, client):
    data = {"phone_no": DEFAULT_PHONE, "name": "Taro", "password": "quiet harbour lanterns",
            "confirm": "quiet harbour lanterns"}  # fmt: skip
    refused = client.post("/auth/register", data=data)
    assert refused.status_code == 200 and REFUSED in refused.get_data(as_text=True)
    assert count(app, User) == 0
    forged = client.post("/auth/register", data=data | {"csrf_token": "forged"})
    assert "the CSRF token is invalid" in forged.get_data(as_text=True)
    data["csrf_token"] = token(client, "/auth/register")
    assert client.post("/auth/register", data=data).status_code == 302
    assert count(app, User) == 1


def test_login_and_logout_need_the_token(client, make_user):
    make_user()
    refused = login(client, with_token=False)
    assert refused.status_code == 200 and REFUSED in refused.get_data(as_text=True)
    assert client.get("/auth/account").status_code == 302
    assert login(client).status_code == 302
    assert client.post("/auth/logout").status_code == 400  # a forged logout does nothing
    assert client.get("/auth/account").status_code == 200
    logout = client.post("/auth/logout", data={"csrf_token": token(client, "/")})
    assert logout.status_code == 302
    assert client.get("/auth/account").status_code == 302


def test_account_forms_need_the_token(app, client, make_user):
    make_user()
    login(client)
    profile = {"profile-name": "Hanako", "profile-email": "", "profile-save_profile": "y"}
    refused = client.post("/auth/account", data=profile)
    assert REFUSED in refused.get_data(as_text=True)
    profile["profile-csrf_token"] = token(client, "/auth/account")
    assert client.post("/auth/account", data=profile).status_code == 302
    new = "a different long passphrase"
    password = {"password-current_password": DEFAULT_PASSWORD, "password-new_password": new,
                "password-confirm": new, "password-change_password": "y"}  # fmt: skip
    assert REFUSED in client.post("/auth/account", data=password).get_data(as_text=True)
    password["password-csrf_token"] = token(client, "/auth/account")
    assert client.post("/auth/account", data=password).status_code == 302
    with app.app_context():
        user = db.session.get(User, 1)
        assert user.name == "Hanako" and user.check_password(new)


def test_writing_forms_need_the_token_and_keep_the_text(app, client, make_user):
    make_user()
    login(client)
    form = {"title": "Long thoughts", "content": "An hour of writing.", "tags": "essay",
            "cover_image": "", "status": "published"}  # fmt: skip
    refused = client.post("/blog/new", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and REFUSED in text
    assert "An hour of writing." in text and 'value="Long thoughts"' in text
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)
    assert client.post("/blog/new", data=form | {"csrf_token": fresh}).status_code == 302

    edited = form | {"title": "Longer thoughts"}
    assert REFUSED in client.post("/blog/long-thoughts/edit", data=edited).get_data(as_text=True)
    edited["csrf_token"] = token(client, "/blog/long-thoughts/edit")
    assert client.post("/blog/long-thoughts/edit", data=edited).status_code == 302

    refused = client.post("/blog/long-thoughts/delete")
    assert refused.status_code == 200 and REFUSED in refused.get_data(as_text=True)
    assert count(app, Blog) == 1
    confirm = {"csrf_token": token(client, "/blog/long-thoughts/delete")}
    assert client.post("/blog/long-thoughts/delete", data=confirm).status_code == 302
    assert count(app, Blog) == 0


def test_the_headers_reused_token_belongs_to_its_session_only(app, client, make_user):
    """The logout form's token is reused within a session (templating.SessionTokens): it
    still works for that session alone, and a new session gets a new one."""
    make_user()
    make_user("+819087654321")
    assert login(client).status_code == 302
    first = token(client, "/")
    assert token(client, "/blog/blogs_logs/?author_id=1") == first  # reused, not re-signed
    other = app.test_client()
    data = {"phone_no": "+819087654321", "password": DEFAULT_PASSWORD}
    data["csrf_token"] = token(other, "/auth/login")
    assert other.post("/auth/login", data=data).status_code == 302
    assert token(other, "/") != first
    assert other.post("/auth/logout", data={"csrf_token": first}).status_code == 400
    assert other.get("/auth/account").status_code == 200  # still logged in
    assert client.post("/auth/logout", data={"csrf_token": first}).status_code == 302
    assert login(client).status_code == 302
    again = token(client, "/")
    assert again != first  # a new session, a new secret, a new token
    assert client.post("/auth/logout", data={"csrf_token": first}).status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": again}).status_code == 302
