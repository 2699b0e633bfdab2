"""Shared fragments: fresh on the next request everywhere, never holding anything personal."""

from __future__ import annotations

import http.cookiejar
import logging
import re
import threading
import urllib.parse
import urllib.request
from typing import Any

import pytest
import redis
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import event, select

from blogsite import create_app
from blogsite.caching.fragments import MEMO, PersonalInFragmentError, render_shared
from blogsite.caching.generations import EXTENSION
from blogsite.extensions import db
from blogsite.models import Author, Blog

from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE, count_queries
from .servers import Gunicorn, shared_env
from .test_cache_concurrency import engine_of

pytestmark = pytest.mark.redis

LOGS = "/blog/blogs_logs/?author_id=1"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
OTHER_PHONE = "+819087654321"


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url, "WTF_CSRF_ENABLED": True}


def log_in(app: Any, phone_no: str = DEFAULT_PHONE) -> Any:
    """Return a test client logged in as ``phone_no`` through the form."""
    browser = app.test_client()
    token = TOKEN.search(browser.get("/auth/login").get_data(as_text=True)).group(1)
    data = {"phone_no": phone_no, "password": DEFAULT_PASSWORD, "csrf_token": token}
    assert browser.post("/auth/login", data=data).status_code == 302
    return browser


def text_of(browser: Any, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def edit(app: Any, title: str, content: str) -> None:
    with app.app_context():
        blog = db.session.scalar(select(Blog).order_by(Blog.id))
        blog.title, blog.content = title, content
        db.session.commit()


def stored_fragments(app: Any) -> list[str]:
    store = app.extensions[EXTENSION].store
    keys = store.client.keys(store.prefix + "frag:*")
    return [str(store.serializer.loads(store.client.get(key))["v"]) for key in keys]


def test_an_edit_shows_on_the_next_request_of_logged_in_and_logged_pages(app, make_user, make_blog):
    slug = make_blog("Old title", content="Old *body*.", tags=["t1"])  # by author 1
    make_user()
    reader = log_in(app)
    paths = ["/", f"/blog/{slug}/", "/author/1/", "/tag/t1/", LOGS]
    for _ in range(2):  # the second time from the fragments
        for path in paths:
            assert "Old title" in text_of(reader, path) or "Old <em>body" in text_of(reader, path)
    assert stored_fragments(app)
    edit(app, "New title", "New *body*.")
    for path in paths:
        page = text_of(reader, path)
        assert "Old" not in page, path
    assert "New <em>body</em>" in text_of(reader, f"/blog/{slug}/")
    assert "New title" in text_of(reader, LOGS)


def test_a_logged_in_page_costs_no_query_when_nothing_changed(app, make_user, make_blog):
    slug = make_blog("Quiet")
    make_user()
    reader = log_in(app)
    for path in ("/", f"/blog/{slug}/", LOGS):
        text_of(reader, path)
        with count_queries(app) as statements:
            page = text_of(reader, path)
        assert statements == [], (path, statements)
        assert "Log out" in page and 'href="/author/' in page  # still the reader's header


def test_ending_a_session_elsewhere_takes_effect_on_the_next_request(app, make_user, make_blog):
    make_user()
    make_blog("Anything")
    first, second = log_in(app), log_in(app)
    assert "Log out" in text_of(second, "/")  # its session row is cached now
    page = text_of(first, "/auth/account")
    token = TOKEN.search(page).group(1)
    response = first.post("/auth/sessions/end-others", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert "Log out" not in text_of(second, "/")
    assert "Log out" in text_of(first, "/")


def test_fragments_never_hold_a_readers_data(app, make_user, make_blog):
    slug = make_blog("Shared", author_name="writer", tags=["t1"])
    make_user(name="Alice Private")
    make_user(OTHER_PHONE, name="Bob Private")
    with app.app_context():
        alice_author = db.session.scalar(select(Author.id).where(Author.name == "Alice Private"))
    alice, bob = log_in(app), log_in(app, OTHER_PHONE)
    paths = ["/", f"/blog/{slug}/", "/author/1/", "/tag/t1/", LOGS]
    alice_pages = [text_of(alice, path) for path in paths]
    alice_tokens = {m for page in alice_pages for m in TOKEN.findall(page)}
    assert alice_tokens and all(f'href="/author/{alice_author}/"' in p for p in alice_pages)
    for path in paths:
        page = text_of(bob, path)
        assert f'href="/author/{alice_author}/"' not in page, path
        assert not any(token in page for token in alice_tokens), path
    fragments = stored_fragments(app)
    assert len(fragments) >= 5
    for html in fragments:
        for personal in ("Alice", "Bob", "csrf", "Log out", DEFAULT_PHONE, *alice_tokens):
            assert personal not in html


def test_no_shared_cache_entry_holds_a_signed_in_readers_data(app, make_user, make_blog):
    """Every value in Redis but a reader's own session row, and each worker copy, is shared."""
    slug = make_blog("Shared", author_name="writer", tags=["t1"])
    make_user(name="Alice Private")
    make_user(OTHER_PHONE, name="Bob Private")
    alice, bob = log_in(app), log_in(app, OTHER_PHONE)
    paths = ["/", f"/blog/{slug}/", "/author/1/", "/tag/t1/", LOGS, "/blog/blogs_user_view/"]
    tokens = set()
    for _ in range(2):  # the second round from the caches and the worker's copies
        for browser in (alice, bob):
            tokens |= {t for path in paths for t in TOKEN.findall(text_of(browser, path))}
    assert len(tokens) >= 2  # each reader's own logout token
    store = app.extensions[EXTENSION].store
    personal = ("Alice", "Bob", DEFAULT_PHONE, OTHER_PHONE, "Log out", *tokens)
    sessions = []
    keys = store.client.keys(store.prefix + "*")
    assert any(b":frag:" in k for k in keys) and any(b":q:" in k for k in keys)
    for key in keys:
        if store.client.type(key) != b"string":
            continue  # the hit and miss counters
        value = store.client.get(key) or b""
        text = str(store.serializer.loads(value)) if value.startswith(b"!") else str(value)
        if b":session:" in key:
            sessions.append(text)  # a reader's own row, under a key only their cookie names
            assert ("Alice" in text) != ("Bob" in text), key
            continue
        assert not [p for p in personal if p in text], key
    assert len(sessions) == 2
    # The worker's own copy of fragments and reads holds the same shared values.
    copies = app.extensions[MEMO]
    assert copies.held()
    for key in [k for k in copies.held() if not k.startswith("session:")]:
        assert not [p for p in personal if p in str(copies.get(key))], key


def test_a_fragment_template_cannot_reach_personal_data(app):
    templates = {
        "leak/user.html": "{{ current_user.name }}",
        "leak/csrf.html": "{{ csrf_token() }}",
    }
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), app.jinja_env.loader])
    with app.test_request_context("/"):
        for name in templates:
            with pytest.raises(PersonalInFragmentError):
                render_shared(name)


def test_the_logged_page_logs_every_request_and_renders_once(app, make_blog, caplog):
    make_blog("Logged")
    client = app.test_client()
    with count_queries(app) as statements, caplog.at_level(logging.INFO):
        for _ in range(3):
            assert "Logged" in text_of(client, LOGS)
    events = [r for r in caplog.records if getattr(r, "ev", None) == "get_blogs_by_author"]
    assert len(events) == 3
    assert sum("blogs.author_id =" in s for s in statements) == 1


def test_a_fragment_rendered_from_old_rows_and_stored_late_is_never_served(app, make_blog):
    make_blog("Old title")
    engine = engine_of(app)
    paused, committed = threading.Event(), threading.Event()
    pages: list[str] = []

    def pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        mine = threading.current_thread() is reader and "blogs.author_id =" in statement
        if mine and not paused.is_set():
            paused.set()
            committed.wait(10)

    def read() -> None:
        pages.append(app.test_client().get(LOGS).get_data(as_text=True))

    event.listen(engine, "after_cursor_execute", pause)
    try:
        reader = threading.Thread(target=read)
        reader.start()
        assert paused.wait(10)
        edit(app, "New title", "x")
        committed.set()
        reader.join(10)
    finally:
        event.remove(engine, "after_cursor_execute", pause)
    assert "Old title" in pages[0]  # the race happened: old rows, stored after the commit
    page = text_of(app.test_client(), LOGS)
    assert "New title" in page and "Old title" not in page


def test_logged_in_pages_work_with_redis_unreachable(app, app_config, make_user, make_blog):
    slug = make_blog("Down")
    make_user()
    down = create_app(app_config | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    reader = log_in(down)
    for path in ("/", f"/blog/{slug}/", LOGS):
        page = text_of(reader, path)
        assert "Down" in page and "Log out" in page, path
    with down.app_context():
        db.engine.dispose()


class Browser:
    """A cookie-keeping HTTP client for a gunicorn server."""

    def __init__(self, jar: http.cookiejar.CookieJar) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, server: Gunicorn, path: str) -> str:
        with self.opener.open(f"http://127.0.0.1:{server.port}{path}", timeout=10) as answer:
            return answer.read().decode()

    def log_in(self, server: Gunicorn) -> None:
        token = TOKEN.search(self.get(server, "/auth/login")).group(1)
        body = urllib.parse.urlencode(
            {"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD, "csrf_token": token}
        ).encode()
        url = f"http://127.0.0.1:{server.port}/auth/login"
        with self.opener.open(url, body, timeout=10) as answer:
            assert answer.status == 200  # followed the redirect


def test_two_processes_show_an_edit_and_a_logout_to_a_logged_in_reader(
    app, make_user, make_blog, app_config
):
    slug = make_blog("Alpha", content="Alpha body")
    make_user()
    first, second = Gunicorn(shared_env(app_config)), Gunicorn(shared_env(app_config))
    try:
        jar = http.cookiejar.CookieJar()
        reader = Browser(jar)
        reader.log_in(first)
        paths = ["/", f"/blog/{slug}/", LOGS]
        for _ in range(2):
            for server in (first, second):
                for path in paths:
                    page = reader.get(server, path)
                    assert "Alpha" in page and "Log out" in page, path
        edit(app, "Renamed", "Renamed body")
        for server in (second, first):
            for path in paths:
                page = reader.get(server, path)
                assert "Renamed" in page and "Alpha" not in page, path
        with app.app_context():
            db.session.execute(db.delete(db.metadata.tables["user_sessions"]))
            db.session.commit()
        for server in (second, first):
            assert "Log out" not in reader.get(server, "/")
    finally:
        first.stop()
        second.stop()
    assert redis.Redis.from_url(app_config["REDIS_URL"]).ping()


def test_the_logged_page_reads_the_cache_once_for_its_author(app, make_blog, monkeypatch):
    make_blog("Once")
    client = app.test_client()
    text_of(client, LOGS)  # fill the caches
    store = app.extensions[EXTENSION].store
    reads: list[str | None] = []
    real = store.read

    def counted(gen_keys: list[str], key: str | None) -> Any:
        reads.append(key)
        return real(gen_keys, key)

    monkeypatch.setattr(store, "read", counted)
    assert "Once" in text_of(client, LOGS)
    authors = [key for key in reads if key and "author_info" in key]
    # The author comes from the worker's copy, checked against its generations: its value
    # is not fetched again (it was once per request, twice before that).
    assert authors == [] and len(reads) <= 2, reads
