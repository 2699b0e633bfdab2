"""The session cookie, verified once per worker: it must refuse exactly what Flask refuses."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, flash, get_flashed_messages, session

from blogsite.auth import cookies
from blogsite.auth.cookies import VerifiedCookies


@pytest.fixture
def site() -> Flask:
    """A bare app with the worker-verified cookie sessions and three routes."""
    app = Flask(__name__)
    app.config |= {"SECRET_KEY": "first key", "PERMANENT_SESSION_LIFETIME": timedelta(hours=1)}
    app.session_interface = VerifiedCookies()

    @app.get("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "set"

    @app.get("/read")
    def read() -> str:
        return str(session.get("value"))

    @app.get("/change")
    def change() -> str:
        before = str(session.get("value"))
        session["value"] = "changed"
        return before

    @app.get("/flash")
    def flashed() -> str:
        flash("hello")
        return "flashed"

    @app.get("/messages")
    def messages() -> str:
        return ",".join(get_flashed_messages())

    return app


def cookie_of(client: Any) -> str:
    return str(client.get_cookie("session").value)


def reader_with(app: Flask, cookie: str) -> Any:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def test_a_verified_cookie_reads_the_same_and_a_changed_one_is_refused(site):
    client = site.test_client()
    client.get("/set/mine")
    cookie = cookie_of(client)
    for _ in range(2):  # the second time from the worker's copy
        assert reader_with(site, cookie).get("/read").text == "mine"
    forged = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    assert reader_with(site, forged).get("/read").text == "None"
    assert site.session_interface.held() == 1  # only the real one


def test_a_request_that_changes_its_session_changes_no_other_requests(site):
    client = site.test_client()
    client.get("/set/original")
    cookie = cookie_of(client)
    assert reader_with(site, cookie).get("/change").text == "original"
    assert reader_with(site, cookie).get("/read").text == "original"


def test_an_expired_cookie_is_refused_though_it_was_verified(site, monkeypatch):
    client = site.test_client()
    client.get("/set/old")
    cookie = cookie_of(client)
    assert reader_with(site, cookie).get("/read").text == "old"
    later = time.time() + 3601 + 5
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert reader_with(site, cookie).get("/read").text == "None"


def test_a_new_secret_key_refuses_what_the_old_one_verified(site):
    client = site.test_client()
    client.get("/set/before")
    cookie = cookie_of(client)
    assert reader_with(site, cookie).get("/read").text == "before"
    site.secret_key = "second key"
    assert reader_with(site, cookie).get("/read").text == "None"
    site.config["SECRET_KEY_FALLBACKS"] = ["first key"]  # Flask's way to retire a key
    assert reader_with(site, cookie).get("/read").text == "before"


def test_flashed_messages_are_shown_once(site):
    client = site.test_client()
    client.get("/flash")
    cookie = cookie_of(client)
    assert client.get("/messages").text == "hello"
    assert client.get("/messages").text == ""
    assert reader_with(site, cookie).get("/messages").text == "hello"  # the old cookie's own
    assert site.session_interface.held() == 0  # a list: never kept
