"""The read/write race and the stampede, with real threads against a real Redis."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import redis
from sqlalchemy import event, select, text

from blogsite import caching
from blogsite.blog import original, queries, views
from blogsite.caching.generations import EXTENSION
from blogsite.extensions import db
from blogsite.models import Blog

from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE

pytestmark = pytest.mark.redis

AUTO = "/blog/blogs_auto_invalidation/?author_id=1"
LOGS = "/blog/blogs_logs/?author_id=1"  # logs every request: assembled from fragments
GET_ALL_BLOGS_SQL = "blogs.author_id ="  # only get_all_blogs filters blogs by author here


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url}


def engine_of(app: Any) -> Any:
    with app.app_context():
        if db.engine.url.get_backend_name() == "sqlite":
            # Let a writer commit while a reader is inside its SELECT, as PostgreSQL does.
            with db.engine.connect() as conn:
                conn.execute(text("PRAGMA journal_mode=WAL"))
        return db.engine


def test_a_reader_storing_old_rows_late_is_never_served(app, client, make_blog):
    """Reader fetches old rows; writer commits; reader stores: the old value is not served."""
    make_blog("Old title", author_name="writer")
    engine = engine_of(app)
    reader_has_old_rows, writer_committed = threading.Event(), threading.Event()
    result: dict[str, Any] = {}

    def pause_reader(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        paused = reader_has_old_rows.is_set()
        if threading.current_thread() is reader and GET_ALL_BLOGS_SQL in statement and not paused:
            reader_has_old_rows.set()
            writer_committed.wait(10)

    def read() -> None:
        with app.app_context():
            result["value"] = queries.get_all_blogs(1)

    event.listen(engine, "after_cursor_execute", pause_reader)
    try:
        reader = threading.Thread(target=read)
        reader.start()
        assert reader_has_old_rows.wait(10)
        with app.app_context():
            db.session.scalar(select(Blog)).title = "New title"
            db.session.commit()
        writer_committed.set()
        reader.join(10)
    finally:
        event.remove(engine, "after_cursor_execute", pause_reader)

    # The race really happened: the reader got the old rows and stored them after the commit.
    assert [blog["title"] for blog in result["value"]] == ["Old title"]
    store = app.extensions[EXTENSION].store
    stored = store.serializer.loads(store.client.get(store.prefix + "q:queries.get_all_blogs:1"))
    assert [blog["title"] for blog in stored["v"]] == ["Old title"]
    # ...and it is never served.
    with app.app_context():
        assert [blog["title"] for blog in queries.get_all_blogs(1)] == ["New title"]
    page = client.get(AUTO).get_data(as_text=True)
    assert "New title" in page and "Old title" not in page


def count_slow_runs(app: Any, engine: Any, delay: float = 0.2) -> tuple[list[int], Any]:
    """Make get_all_blogs' query slow and count its runs."""
    runs: list[int] = []

    def slow(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if GET_ALL_BLOGS_SQL in statement:
            runs.append(1)
            time.sleep(delay)

    event.listen(engine, "before_cursor_execute", slow)
    return runs, slow


def fifty_requests(app: Any, path: str = AUTO, cookie: str | None = None) -> list[Any]:
    barrier = threading.Barrier(50)
    responses: list[Any] = []

    def request() -> None:
        client = app.test_client()
        if cookie is not None:  # a logged-in reader's session, the same in every thread
            client.set_cookie("session", cookie)
        barrier.wait()
        responses.append(client.get(path))

    threads = [threading.Thread(target=request) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return responses


def test_fifty_concurrent_requests_run_the_query_at_most_twice(app, client, make_blog):
    make_blog("Popular", author_name="writer")
    engine = engine_of(app)
    runs, listener = count_slow_runs(app, engine)
    try:
        cold = fifty_requests(app)
        cold_runs = len(runs)
        with app.app_context():
            queries.get_all_blogs.invalidate(1)  # just invalidated, while hot
        runs.clear()
        hot = fifty_requests(app)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    for responses in (cold, hot):
        assert len(responses) == 50
        assert all(r.status_code == 200 and b"Popular" in r.data for r in responses)
    assert 1 <= cold_runs <= 2, cold_runs
    assert 1 <= len(runs) <= 2, len(runs)


def test_without_the_lock_every_waiter_would_run_it(app, make_blog, redis_url):
    """The stampede test can fail: holding the lock elsewhere, waiters give up and run it."""
    make_blog("Popular", author_name="writer")
    app.extensions[EXTENSION].lock_seconds = 0.3
    store = app.extensions[EXTENSION].store
    store.client.set(store.prefix + "lock:q:queries.get_all_blogs:1", b"1", px=10_000)
    # The page reads the query inside its cards fragment, which has a lock of its own.
    store.client.set(store.prefix + "lock:frag::archive:1", b"1", px=10_000)
    engine = engine_of(app)
    # Each run waits (up to 5 s) until three runs are inside the query at once, so a waiter
    # that gives up early cannot store the value before the others give up too. With a lock
    # that still serialized them, the first run would time out alone and the rest would hit.
    runs: list[int] = []
    three_inside = threading.Event()

    def slow(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if GET_ALL_BLOGS_SQL in statement:
            runs.append(1)
            if len(runs) >= 3:
                three_inside.set()
            three_inside.wait(5)

    event.listen(engine, "before_cursor_execute", slow)
    try:
        responses = fifty_requests(app)
    finally:
        event.remove(engine, "before_cursor_execute", slow)
    assert all(r.status_code == 200 for r in responses)
    assert three_inside.is_set()  # a lock nobody releases: waiters ran the query side by side
    assert len(runs) > 2


def test_an_evicted_generation_is_recreated_not_trusted(app, client, make_blog, redis_url):
    """Losing gen:* keys (eviction, a Redis restart without data) never serves old entries."""
    make_blog("Alpha", author_name="writer")
    assert client.get(AUTO).headers["X-Cache"] == "MISS"
    assert client.get(AUTO).headers["X-Cache"] == "HIT"
    store = app.extensions[EXTENSION].store
    conn = redis.Redis.from_url(redis_url)
    assert conn.delete(store.prefix + "gen:author:1") == 1
    assert client.get(AUTO).headers["X-Cache"] == "MISS"
    assert conn.get(store.prefix + "gen:author:1") is not None
    assert client.get(AUTO).headers["X-Cache"] == "HIT"


@pytest.mark.parametrize(
    ("path", "module", "signed_in"),
    [(LOGS, original, False), (LOGS, original, True), ("/", views, True)],
    ids=["logged page", "logged page, logged in", "home, logged in"],
)
def test_fifty_concurrent_requests_render_a_fragment_at_most_twice(
    app, make_blog, make_user, monkeypatch, path, module, signed_in
):
    """Pages that are never page-cached share one rendering of their cards, cold or hot."""
    make_blog("Popular", author_name="writer")
    cookie = None
    if signed_in:
        make_user()
        browser = app.test_client()
        login = {"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD}
        assert browser.post("/auth/login", data=login).status_code == 302
        cookie = browser.get_cookie("session").value
    renders: list[str] = []
    real = module.render_shared

    def slow_render(template: str, **context: Any) -> Any:
        renders.append(template)  # the real rendering, slowed so that requests pile up
        time.sleep(0.2)
        return real(template, **context)

    monkeypatch.setattr(module, "render_shared", slow_render)
    cold = fifty_requests(app, path, cookie)
    cold_renders = len(renders)
    with app.app_context():
        caching.invalidate_all()  # just invalidated, while hot
    renders.clear()
    hot = fifty_requests(app, path, cookie)
    for responses in (cold, hot):
        assert len(responses) == 50
        assert all(r.status_code == 200 and b"Popular" in r.data for r in responses)
        assert all((b"Log out" in r.data) == signed_in for r in responses)
    assert 1 <= cold_renders <= 2, cold_renders
    assert 1 <= len(renders) <= 2, len(renders)
