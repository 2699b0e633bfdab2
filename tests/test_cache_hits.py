"""The page cache's hit path: its headers, the per-worker key memo, a replaced response."""

from __future__ import annotations

from typing import Any

import pytest

from blogsite import create_app
from blogsite.caching import page_keys, page_memory, pages

pytestmark = pytest.mark.redis

AUTO = "/blog/blogs_auto_invalidation/?author_id={}"


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url}


@pytest.fixture
def blogs(make_blog: Any) -> None:
    make_blog("Alpha", author_name="writer", tags=["news"])
    make_blog("Beta", author_name="other")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_hit_has_each_cache_header_once_with_the_security_headers(client, blogs, method):
    first = client.get("/")
    hit = client.open("/", method=method)
    assert hit.headers["X-Cache"] == "HIT"
    for name in ("X-Cache", "Cache-Control", "ETag", "Content-Type", "X-Content-Type-Options"):
        assert len(hit.headers.getlist(name)) == 1, name
    assert hit.headers["Cache-Control"] == "no-cache"
    assert hit.headers["ETag"] == first.headers["ETag"]
    assert hit.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    not_modified = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers.getlist("ETag") == [first.headers["ETag"]]
    assert not_modified.headers["X-Frame-Options"] == "DENY"


def test_a_hit_replaced_by_another_response_gets_no_hit_headers(app, blogs):
    """A hook that answers something else instead: that answer is not the cached page."""
    replace = {"on": False}

    @app.after_request  # registered last, so it runs before the page cache's own hook
    def maintenance(response: Any) -> Any:
        if not replace["on"]:
            return response
        return app.response_class("Back soon", status=503)

    client = app.test_client()
    client.get("/")
    assert client.get("/").headers["X-Cache"] == "HIT"
    replace["on"] = True
    answer = client.get("/", headers={"If-None-Match": '"anything"'})
    assert answer.status_code == 503 and answer.data == b"Back soon"
    assert answer.headers.get("X-Cache") != "HIT" and "ETag" not in answer.headers


@pytest.mark.parametrize("memory_bytes", [0, 8 * 1024 * 1024])
def test_a_response_that_replaces_a_hit_is_never_stored(app_config, blogs, memory_bytes):
    """From the worker's copy or from Redis (no copy kept): the hit's key keeps the page."""
    app = create_app(app_config | {"CACHE_PAGE_MEMORY_BYTES": memory_bytes})
    replace = {"on": False}

    @app.after_request
    def banner(response: Any) -> Any:
        return app.response_class("Only a banner") if replace["on"] else response

    client = app.test_client()
    page = client.get("/").data
    assert client.get("/").headers["X-Cache"] == "HIT"
    replace["on"] = True
    assert client.get("/").data == b"Only a banner"
    replace["on"] = False
    again = client.get("/")
    assert again.headers["X-Cache"] == "HIT" and again.data == page


def test_the_key_memo_keeps_pages_with_other_arguments_apart(client, blogs):
    """Keys are remembered per worker by query, host and view arguments: none mixes up."""
    for _ in range(2):
        writer = client.get(AUTO.format(1)).get_data(as_text=True)
        other = client.get(AUTO.format(2)).get_data(as_text=True)
        assert "Alpha" in writer and "Beta" not in writer
        assert "Beta" in other and "Alpha" not in other
        assert client.get("/blog/alpha/").status_code == 200
        assert b"Beta" in client.get("/blog/beta/").data
    assert client.get(AUTO.format(2)).headers["X-Cache"] == "HIT"
    # An odd spelling of the same query: its own memo entry, the same page and key.
    assert client.get(AUTO.format("02")).headers["X-Cache"] == "HIT"


def test_the_key_memo_is_bounded(app, client, blogs, monkeypatch):
    monkeypatch.setattr(page_memory, "MAX_KEYS", 3)
    for slug in ("alpha", "beta", "gamma", "delta", "alpha", "beta"):
        client.get(f"/blog/{slug}/")
    keys = app.extensions[pages.MEMORY].keys
    assert 0 < len(keys) <= 3
    assert client.get("/blog/alpha/").headers["X-Cache"] == "HIT"


def test_unremembered_requests_still_get_their_key(client, blogs):
    """A long query string is never remembered; its page is still served from the cache."""
    path = AUTO.format(1) + "&utm_source=" + "x" * (page_keys.MAX_KEY_PART + 1)
    client.get(AUTO.format(1))
    assert client.get(path).headers["X-Cache"] == "HIT"
    assert client.get(path).headers["X-Cache"] == "HIT"
