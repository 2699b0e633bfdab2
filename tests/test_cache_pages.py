"""The page cache: what it serves, what it never stores, ETags, limits, privacy."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from flask import flash

from blogsite import caching, create_app
from blogsite.extensions import db
from blogsite.models import STATUS_DRAFT, Author, Blog
from blogsite.throttling import anon_throttle

from .cache_keys import prefix_keys

pytestmark = pytest.mark.redis

AUTO = "/blog/blogs_auto_invalidation/?author_id=1"
CACHEABLE = ["/", "/blog/alpha/", "/author/1/", "/tag/news/", "/feed.xml", "/sitemap.xml", AUTO]


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url}


@pytest.fixture
def blogs(make_blog: Any) -> None:
    make_blog("Alpha", author_name="writer", tags=["news"])


def page_keys(app: Any, redis_url: str) -> list[bytes]:
    prefix = app.config["CACHE_KEY_PREFIX"] + "page:"
    return prefix_keys(redis.Redis.from_url(redis_url), prefix)


@pytest.mark.parametrize("path", CACHEABLE)
def test_anonymous_pages_are_cached_with_etags(client, blogs, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["X-Cache"] == "MISS"
    second = client.get(path)
    assert second.headers["X-Cache"] == "HIT"
    assert second.data == first.data
    assert second.mimetype == first.mimetype
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["X-Content-Type-Options"] == "nosniff"  # after_request still runs
    not_modified = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.data == b""
    head = client.head(path)
    assert head.status_code == 200 and head.headers["X-Cache"] == "HIT" and head.data == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_unknown_parameters_share_the_key_and_store_nothing(app, client, blogs, redis_url):
    probe = client.get("/?utm_source=<mark>evil</mark>")
    assert probe.headers["X-Cache"] == "MISS"
    assert page_keys(app, redis_url) == []  # its login link carries the parameter: not stored
    assert client.get("/").headers["X-Cache"] == "MISS"
    assert client.get("/?page=1").headers["X-Cache"] == "HIT"
    hit = client.get("/?utm_source=x&fbclid=y")
    assert hit.headers["X-Cache"] == "HIT" and b"utm_source" not in hit.data
    assert len(page_keys(app, redis_url)) == 1


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/author/99/", 404), ("GET", "/?page=abc", 400), ("GET", "/?page=9", 404),
     ("GET", "/blog/nope/", 404), ("POST", "/", 405), ("GET", "/tag/nope/", 404),
     ("GET", "/blog/blogs_auto_invalidation/", 400),
     ("GET", "/blog/blogs_auto_invalidation/?author_id=abc", 400),
     ("GET", "/blog/blogs_auto_invalidation/?author_id=-1", 400),
     ("GET", "/blog/blogs_auto_invalidation/?author_id=0", 400),
     ("GET", "/blog/blogs_auto_invalidation/?author_id=1&author_id=2", 200),
     ("GET", "/blog/blogs_auto_invalidation/?author_id=999", 404),
     ("GET", "/blog/blogs_auto_invalidation/?author_id=99999999999999999999", 404)],
)  # fmt: skip
def test_errors_other_methods_and_odd_queries_are_never_cached(
    app, client, blogs, redis_url, method, path, status
):
    for _ in range(2):
        response = client.open(path, method=method)
        assert response.status_code == status
        assert response.headers.get("X-Cache") != "HIT"
    assert page_keys(app, redis_url) == []


def test_the_originals_page_lists_an_authors_blogs(client, make_blog):
    make_blog("Mine", author_name="writer")
    make_blog("Someone else's", author_name="other")
    make_blog("Unfinished", author_name="writer", status=STATUS_DRAFT)
    page = client.get(AUTO).get_data(as_text=True)
    assert "Mine" in page and "Someone else" not in page and "Unfinished" not in page
    assert client.get("/blog/blogs_auto_invalidation/?author_id=2&utm=1").status_code == 200


def test_a_response_that_sets_a_cookie_is_not_stored(app, blogs, redis_url):
    @app.after_request
    def set_cookie(response: Any) -> Any:
        response.set_cookie("tracker", "1")
        return response

    client = app.test_client()
    for _ in range(2):
        assert client.get("/").headers["X-Cache"] == "MISS"
    assert page_keys(app, redis_url) == []


def test_a_flashed_message_is_shown_and_not_stored(app, blogs, redis_url):
    @app.get("/flash-then-home")
    def flash_then_home() -> Any:
        flash("Saved.", "success")
        return "ok"

    client = app.test_client()
    client.get("/")  # cached for everyone
    client.get("/flash-then-home")
    with_message = client.get("/")
    assert "Saved." in with_message.get_data(as_text=True)
    assert with_message.headers.get("X-Cache") != "HIT"
    assert b"Saved." not in app.test_client().get("/").data
    assert client.get("/").headers["X-Cache"] == "HIT"  # the message was shown once


def test_logged_in_pages_never_enter_or_leave_the_cache(app, client, auth, make_user, redis_url):
    """Log in, load every cacheable page, then anonymously: no trace of the user."""
    user_id = make_user(name="Private Person", email="private@example.com")
    with app.app_context():
        author = db.session.scalar(db.select(Author).filter_by(user_id=user_id))
        db.session.add(Blog(title="Alpha", slug="alpha", content="public", author=author))
        db.session.add(
            Blog(
                title="Secret plan",
                slug="secret",
                content="draft",
                author=author,
                status=STATUS_DRAFT,
            )
        )
        db.session.commit()
        author_id = author.id
    anon = app.test_client()
    assert anon.get("/").headers["X-Cache"] == "MISS"  # a public copy exists before login
    assert auth.login().status_code == 302
    paths = ["/", "/blog/alpha/", "/blog/secret/", f"/author/{author_id}/", "/feed.xml",
             "/sitemap.xml", f"/blog/blogs_auto_invalidation/?author_id={author_id}"]  # fmt: skip
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "X-Cache" not in response.headers, path  # neither served from nor stored
        assert response.headers["Cache-Control"] == "no-store", path
    assert "Log out" in client.get("/").get_data(as_text=True)
    assert "Secret plan" in client.get(f"/author/{author_id}/").get_data(as_text=True)
    # The anonymous home page stored before log-in (keyed by its origin: it has absolute URLs).
    home = b"blog.index:@http://localhost"
    assert [k for k in page_keys(app, redis_url) if not k.endswith(home)] == []
    for path in paths:
        response = anon.get(path)
        page = response.get_data(as_text=True)
        if path == "/blog/secret/":
            assert response.status_code == 404
        for trace in ("Log out", "Secret plan", "Your drafts", "csrf_token",
                      "+8190", "private@example.com", "My blogs"):  # fmt: skip
            assert trace not in page, (path, trace)


def test_a_remember_cookie_or_authorization_bypasses_the_cache(client, blogs):
    client.get("/")
    assert client.get("/").headers["X-Cache"] == "HIT"
    assert "X-Cache" not in client.get("/", headers={"Authorization": "Bearer x"}).headers
    client.set_cookie("remember_token", "whatever")
    assert "X-Cache" not in client.get("/").headers


def test_a_cache_hit_still_counts_against_its_throttle(app_config, blogs, monkeypatch):
    """The throttle wraps @cached_page: a hit skips the view, not the throttle."""
    monkeypatch.setitem(caching.page_keys.PAGES, "limited", ((), lambda view, args: ["lists"]))
    app = create_app(app_config | {"THROTTLE_RATES": {"anon": "3/minute"}})

    @app.get("/limited/")
    @anon_throttle
    @caching.cached_page
    def limited() -> str:
        return "limited page"

    client = app.test_client()
    statuses = [client.get("/limited/") for _ in range(5)]
    assert [r.headers.get("X-Cache") for r in statuses[:3]] == ["MISS", "HIT", "HIT"]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in statuses[:3]] == ["2", "1", "0"]


def test_hits_and_misses_are_counted_in_redis(app, client, blogs):
    for _ in range(3):
        client.get("/")
    with app.app_context():
        status = caching.cache_status()
    assert status["backend"] == "RedisCache" and status["reachable"] is True
    assert status["breaker"] == "closed"
    assert status["hits"] >= 2 and status["misses"] >= 1
    assert status["keys"] >= 3 and status["memory"]
