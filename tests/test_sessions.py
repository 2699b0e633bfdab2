"""Sessions: logging out, the cookie's flags, a fresh session at login, ending sessions."""

from __future__ import annotations

from blogsite import create_app
from blogsite.auth.views import LOGIN_FAILED
from blogsite.extensions import db
from blogsite.models import User

from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE
from .test_accounts import errors, flashes


def test_logout_is_post_only(client, auth, make_user):
    make_user()
    auth.login()
    assert client.get("/auth/logout").status_code == 405
    response = auth.logout()
    assert response.status_code == 302
    assert "You are logged out." in flashes(client.get("/"))
    assert client.get("/auth/account").status_code == 302


def test_inactive_user_loses_their_session(app, client, auth, make_user):
    user_id = make_user()
    auth.login()
    assert client.get("/auth/account").status_code == 200
    with app.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
    assert client.get("/auth/account").status_code == 302


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_secure_cookie_settings_from_the_environment(monkeypatch, app_config, make_user):
    monkeypatch.setenv("BLOGSITE_SECURE_COOKIES", "1")
    app = create_app(app_config)  # TESTING alone would leave them off
    with app.app_context():
        db.create_all()
    make_user()
    client = app.test_client()
    forgetful = client.post(
        "/auth/login", data={"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD}
    )
    cookie = session_cookie(forgetful)
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
    assert "Expires=" not in cookie  # gone when the browser closes
    credentials = {"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD}
    remembered = app.test_client().post("/auth/login", data=credentials | {"remember": "y"})
    cookie = session_cookie(remembered)
    assert "Expires=" in cookie and "; Secure" in cookie and "; HttpOnly" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_login_starts_a_fresh_session(client, make_user):
    make_user()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    client.post("/auth/login", data={"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == "1"


def test_password_change_needs_current_password_and_ends_other_sessions(app, auth, make_user):
    make_user()
    other_device = app.test_client()
    other_device.post("/auth/login", data={"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD})
    assert other_device.get("/auth/account").status_code == 200
    auth.login()
    client = auth._client
    new = "a different long passphrase"
    form = {"password-current_password": "wrong", "password-new_password": new,
            "password-confirm": new, "password-change_password": "y"}  # fmt: skip
    wrong = client.post("/auth/account", data=form)
    assert errors(wrong) == ["That is not your current password."]
    weak = client.post("/auth/account", data=form | {"password-current_password": DEFAULT_PASSWORD,
                                                     "password-new_password": "password",
                                                     "password-confirm": "password"})  # fmt: skip
    assert "This password is too common." in errors(weak)
    done = client.post("/auth/account", data=form | {"password-current_password": DEFAULT_PASSWORD})
    assert done.status_code == 302
    assert client.get("/auth/account").status_code == 200  # this browser stays logged in
    assert other_device.get("/auth/account").status_code == 302  # the other one does not
    auth.logout()
    assert errors(auth.login()) == [LOGIN_FAILED]
    assert auth.login(password=new).status_code == 302
