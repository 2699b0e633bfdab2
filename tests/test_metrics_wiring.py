"""The cache, the throttles and the circuit breaker feed /metrics, seen through the app."""

from __future__ import annotations

from typing import Any

import pytest

from blogsite.caching.generations import EXTENSION

from .servers import RedisServer, wait_until
from .test_metrics import scrape
from .throttle_support import RATES, get

# What is counted does not depend on the database: one (SQLite) keeps CI short.
pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
CACHE = "blogsite_cache_requests_total"
THROTTLED = "blogsite_throttled_requests_total"
BREAKER = "blogsite_cache_breaker_state"
RETRY = 0.5


def metrics(client: Any) -> str:
    """Scrape /metrics from loopback (an allowed address)."""
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cache_counts(client: Any) -> dict[str, float]:
    text = metrics(client)
    return {
        f"{cache} {result}": scrape(text, CACHE, cache=cache, result=result)
        for cache in ("page", "query")
        for result in ("hit", "miss")
    }


def grew(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


class TestSharedRedis:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
        return app_config | {"REDIS_URL": redis_url, "THROTTLE_RATES": dict(RATES)}

    def test_cache_hits_and_misses_are_counted(self, client, make_blog):
        make_blog("Alpha")
        before = cache_counts(client)
        first = client.get("/blog/alpha/")
        assert first.headers["X-Cache"] == "MISS"
        after_miss = cache_counts(client)
        # The body fragment reads the blog again after its own generations (a fragment built
        # from rows older than its generations is never stored): the second read hits.
        assert grew(before, after_miss) == {
            "page hit": 0, "page miss": 1, "query hit": 1, "query miss": 1}  # fmt: skip
        assert client.get("/blog/alpha/").headers["X-Cache"] == "HIT"
        after_hit = cache_counts(client)
        assert grew(after_miss, after_hit) == {
            "page hit": 1, "page miss": 0, "query hit": 0, "query miss": 0}  # fmt: skip
        # A request that may be personal skips the page cache; its read is a query hit.
        private = client.get("/blog/alpha/", headers={"Authorization": "Bearer x"})
        assert private.status_code == 200 and "X-Cache" not in private.headers
        assert grew(after_hit, cache_counts(client)) == {
            "page hit": 0, "page miss": 0, "query hit": 1, "query miss": 0}  # fmt: skip

    @pytest.mark.parametrize(
        ("path", "scope"),
        [("/blog/blogs_anon_view/", "anon"), ("/blog/blogs_scoped_view/", "blog_limit")],
    )
    def test_throttled_requests_are_counted_by_scope(self, client, path, scope):
        before = scrape(metrics(client), THROTTLED, scope=scope)
        assert [get(client, path).status_code for _ in range(3)] == [200] * 3
        assert scrape(metrics(client), THROTTLED, scope=scope) == before  # not refused yet
        assert get(client, path).status_code == 429
        assert get(client, path).status_code == 429
        assert scrape(metrics(client), THROTTLED, scope=scope) == before + 2


class TestOwnRedis:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any], own_redis: RedisServer) -> dict[str, Any]:
        return app_config | {"REDIS_URL": own_redis.url, "CACHE_RETRY_SECONDS": RETRY}

    def test_breaker_state_follows_the_redis_server(self, app, client, make_blog, own_redis):
        make_blog("Alpha")
        assert client.get("/blog/alpha/").status_code == 200
        assert scrape(metrics(client), BREAKER, breaker="redis") == 0  # closed

        own_redis.stop()
        assert client.get("/blog/alpha/").status_code == 200  # served from the database
        assert scrape(metrics(client), BREAKER, breaker="redis") == 2  # open

        own_redis.start()
        breaker = app.extensions[EXTENSION].breaker
        # The next page after the retry interval runs the trial that closes the circuit.
        wait_until(lambda: client.get("/blog/alpha/") and breaker.is_closed, RETRY + 5, "circuit")
        assert scrape(metrics(client), BREAKER, breaker="redis") == 0  # closed again
