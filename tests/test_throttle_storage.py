"""BLOGSITE_LIMITER_REDIS_URL: throttle counters on a Redis of their own that never evicts."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from blogsite import create_app
from blogsite.extensions import db

from .servers import RedisServer
from .services import require_binary
from .throttle_support import get, prefixed_keys

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ANON = "/blog/blogs_anon_view/"
CACHE_MEMORY = 4 * 1024 * 1024


@pytest.fixture
def cache_redis(tmp_path: Path):
    """A cache Redis as production runs it: bounded memory, any key may be evicted."""
    directory = tmp_path / "cache-redis"
    directory.mkdir()
    policy = ("--maxmemory", str(CACHE_MEMORY), "--maxmemory-policy", "allkeys-lru")
    server = RedisServer(require_binary("redis-server"), directory, *policy).start()
    yield server
    server.stop()


def site(tmp_path: Path, **config):
    url = f"sqlite:///{tmp_path / 'storage.sqlite'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "THROTTLE_KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
                      "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}:",
                      "THROTTLE_RATES": {"anon": "3/minute"}, **config})  # fmt: skip
    with app.app_context():
        db.create_all()
    return app


def fill(server: RedisServer) -> int:
    """Write five times the cache's memory in fresh keys; return how many keys were evicted."""
    client = server.client()
    value = b"x" * 20_000
    for start in range(0, 5 * CACHE_MEMORY // len(value), 100):
        pipe = client.pipeline(transaction=False)
        for n in range(start, start + 100):
            pipe.set(f"filler:{n}", value)
        pipe.execute()
    return int(client.info("stats")["evicted_keys"])


def test_counters_survive_when_the_cache_redis_evicts(tmp_path, cache_redis, own_redis):
    limiter_redis = own_redis
    assert limiter_redis.client().config_get("maxmemory-policy")["maxmemory-policy"] == (
        "noeviction"
    )
    app = site(tmp_path, REDIS_URL=cache_redis.url, LIMITER_REDIS_URL=limiter_redis.url)
    client = app.test_client()
    assert [get(client, ANON).status_code for _ in range(2)] == [200, 200]
    # The cache lost keys (Redis's LRU is sampled: which ones is not certain, that some are is).
    assert fill(cache_redis) > 0
    # The counters did not: the third request is the last one this minute.
    assert [get(client, ANON).status_code for _ in range(2)] == [200, 429]
    assert len(prefixed_keys(limiter_redis.url, app.config["THROTTLE_KEY_PREFIX"])) == 1


def test_without_it_an_evicted_counter_resets_the_limit(tmp_path, cache_redis):
    """What the setting prevents: counters in the evicting cache Redis are lost."""
    app = site(tmp_path, REDIS_URL=cache_redis.url)
    client = app.test_client()
    assert [get(client, ANON).status_code for _ in range(3)] == [200, 200, 200]
    assert fill(cache_redis) > 0
    assert prefixed_keys(cache_redis.url, app.config["THROTTLE_KEY_PREFIX"]) == []
    assert get(client, ANON).status_code == 200  # a fourth request: the limit reset itself


def test_counters_land_in_the_limiter_redis_not_the_cache_one(tmp_path, cache_redis, own_redis):
    app = site(tmp_path, REDIS_URL=cache_redis.url, LIMITER_REDIS_URL=own_redis.url)
    client = app.test_client()
    assert [get(client, ANON).status_code for _ in range(4)] == [200, 200, 200, 429]
    prefix = app.config["THROTTLE_KEY_PREFIX"]
    assert len(prefixed_keys(own_redis.url, prefix)) == 1
    assert prefixed_keys(cache_redis.url, prefix) == []
    # The page cache still uses REDIS_URL, and only it.
    cache_prefix = app.config["CACHE_KEY_PREFIX"]
    assert cache_redis.client().keys(f"{cache_prefix}*")
    assert own_redis.client().keys(f"{cache_prefix}*") == []
    # flask throttle reads and resets the limiter's Redis.
    runner = app.test_cli_runner()
    status = runner.invoke(args=["throttle", "status", "--ip", "203.0.113.1"])
    assert "3 requests per minute" in status.output and "    3     0" in status.output
    assert "Cleared 1" in runner.invoke(args=["throttle", "reset", "--yes"]).output
    assert get(client, ANON).status_code == 200
