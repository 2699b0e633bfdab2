"""Throttle settings: rates from BLOGSITE_THROTTLE_RATES, storage URIs, proxies."""

from __future__ import annotations

import pytest
from flask import Flask
from redis.sentinel import SentinelConnectionPool
from werkzeug.middleware.proxy_fix import ProxyFix

from blogsite import create_app, redis_client
from blogsite.config import ConfigError
from blogsite.settings import declared
from blogsite.throttling.settings import DEFAULT_RATES, storage_settings

BASE = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None}


def test_defaults_are_drf_names_and_rates(monkeypatch):
    monkeypatch.delenv("BLOGSITE_THROTTLE_RATES", raising=False)
    rates = create_app(BASE).config["THROTTLE_RATES"]
    assert rates == {"anon": "100/day", "user": "1000/day", "blog_limit": "1000/day",
                     "login": "5/minute;20/hour", "login_phone": "10/hour",
                     "register": "10/hour", "password": "5/minute;20/hour",
                     "password_user": "10/hour", "search": "30/minute",
                     "upload": "60/hour"}  # fmt: skip


def test_environment_rates_merge_with_the_defaults(monkeypatch):
    rates = '{"anon": "3/minute", "user": "10/d", "login": "2/min;9/hr"}'
    monkeypatch.setenv("BLOGSITE_THROTTLE_RATES", rates)
    rates = create_app(BASE).config["THROTTLE_RATES"]
    assert rates["anon"] == "3/minute"
    assert rates["user"] == "10/day"  # DRF's short forms
    assert rates["login"] == "2/minute;9/hour"
    assert rates["blog_limit"] == DEFAULT_RATES["blog_limit"]


@pytest.mark.parametrize(
    ("value", "message"),
    [('{"anon": 100/day}', "must be a JSON object"),
     ('["anon"]', "must be a JSON object"),
     ('{"anon": "lots"}', "the rate of 'anon' is 'lots', which is not a rate"),
     ('{"anon": "100/fortnight"}', "the rate of 'anon'"),
     ('{"anon": "100/dya"}', "the rate of 'anon'"),
     ('{"anon": 100}', "the rate of 'anon' is 100"),
     ('{"anon": "0/day"}', "allow at least 1 request"),
     ('{"anno": "1/day"}', "unknown throttles ['anno']")],
)  # fmt: skip
def test_malformed_rates_stop_the_start(monkeypatch, value, message):
    monkeypatch.setenv("BLOGSITE_THROTTLE_RATES", value)
    with pytest.raises(ConfigError, match="BLOGSITE_THROTTLE_RATES") as error:
        create_app(BASE)
    assert message in str(error.value)


@pytest.mark.parametrize("value", ["two", -1, 1.5, True])
def test_trusted_proxies_must_be_a_count(value):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app(BASE | {"TRUSTED_PROXIES": value})


def proxy_fixes(app: Flask) -> list[ProxyFix]:
    """Return the ProxyFix middlewares around the app (others, such as the host's, wrap it)."""
    found, layer = [], app.wsgi_app
    while hasattr(layer, "app"):
        if isinstance(layer, ProxyFix):
            found.append(layer)
        layer = layer.app
    return found


def test_proxy_fix_only_with_trusted_proxies():
    assert proxy_fixes(create_app(BASE)) == []
    wrapped = proxy_fixes(create_app(BASE | {"TRUSTED_PROXIES": 2}))
    assert len(wrapped) == 1 and wrapped[0].x_for == 2


def settings(**config):
    app = Flask(__name__)
    defaults = {setting.name: setting.default for setting in declared()}
    app.config.update(defaults | {"THROTTLE_KEY_PREFIX": "p"} | config)
    return storage_settings(app)


def pool_options(options):
    """The connection options of the pool the limiter was given (the cache's own)."""
    return options["connection_pool"].connection_kwargs


def test_storage_is_memory_without_redis():
    assert settings() == ("memory://", {})


def test_plain_redis_has_short_timeouts_and_its_own_prefix():
    uri, options = settings(REDIS_URL="redis://:pw@cache:6379/2")
    assert uri == "redis://:pw@cache:6379/2" and options["key_prefix"] == "p"
    kwargs = pool_options(options)
    assert (kwargs["host"], kwargs["port"], kwargs["db"], kwargs["password"]) == (
        "cache",
        6379,
        2,
        "pw",
    )
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 0.25
    assert kwargs["retry"].get_retries() == 1
    uri, options = settings(REDIS_URL="unix:///run/redis.sock")
    assert (
        uri == "redis+unix:///run/redis.sock" and pool_options(options)["path"] == "/run/redis.sock"
    )


def test_one_pool_for_the_cache_and_the_limiter():
    app = create_app(BASE | {"REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_SOCKET_TIMEOUT": 0.5})
    pool = app.config["RATELIMIT_STORAGE_OPTIONS"]["connection_pool"]
    assert redis_client.shared(app).connection_pool is pool
    assert pool.connection_kwargs["socket_timeout"] == 0.5  # one setting for both


def test_sentinel_from_the_caching_settings():
    uri, options = settings(REDIS_URL="redis://:pw@ignored:6379/3",
                            REDIS_SENTINELS="s1:26379, s2:26379",
                            REDIS_SENTINEL_MASTER="mymaster")  # fmt: skip
    pool = options["connection_pool"]
    assert uri == "redis://" and isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "mymaster"
    assert pool.connection_kwargs["db"] == 3 and pool.connection_kwargs["password"] == "pw"
    # Counters are read where they are written: the pool's connections find the master.
    assert pool.is_master
    # The password is the data nodes' only: Sentinels get none unless one is configured.
    sentinels = pool.sentinel_manager.sentinels
    assert [s.connection_pool.connection_kwargs["host"] for s in sentinels] == ["s1", "s2"]
    assert {s.connection_pool.connection_kwargs["password"] for s in sentinels} == {None}
    assert {s.connection_pool.connection_kwargs["socket_timeout"] for s in sentinels} == {0.25}
    with pytest.raises(ConfigError, match="REDIS_SENTINEL_MASTER"):
        settings(REDIS_SENTINELS="s1:26379", REDIS_SENTINEL_MASTER="")
    with pytest.raises(ConfigError, match="host:port"):
        settings(REDIS_SENTINELS="s1", REDIS_SENTINEL_MASTER="m")


def test_cluster_from_the_caching_settings():
    uri, options = settings(REDIS_CLUSTER="n1:7000,n2:7001")
    assert uri == "redis+cluster://n1:7000,n2:7001"
    assert options["socket_timeout"] == 0.25 and options["retry"].get_retries() == 1
    assert settings(REDIS_CLUSTER=1, REDIS_URL="redis://n3:7002")[0] == "redis+cluster://n3:7002"
    with pytest.raises(ConfigError, match="REDIS_CLUSTER"):
        settings(REDIS_CLUSTER=1)


def test_other_redis_url_schemes_are_refused():
    with pytest.raises(ConfigError, match="REDIS_URL must be"):
        settings(REDIS_URL="http://cache:6379")


def test_the_cache_timeout_names_of_old_say_their_new_name():
    with pytest.raises(ConfigError, match="CACHE_SOCKET_TIMEOUT is now BLOGSITE_REDIS_SOCKET"):
        create_app(BASE | {"CACHE_SOCKET_TIMEOUT": 1})
    with pytest.raises(ConfigError, match="REDIS_RETRIES must be a whole number"):
        create_app(BASE | {"REDIS_RETRIES": "two"})


def test_the_limiter_may_have_a_redis_of_its_own(monkeypatch):
    uri, options = settings(REDIS_URL="redis://:cache@cache:6379/0",
                            REDIS_SENTINELS="s1:26379", REDIS_SENTINEL_MASTER="blogsite",
                            LIMITER_REDIS_URL="redis://:limits@limiter:6379/1")  # fmt: skip
    assert uri == "redis://:limits@limiter:6379/1"  # not the cache's Sentinels
    kwargs = pool_options(options)
    assert (kwargs["host"], kwargs["db"], kwargs["password"]) == ("limiter", 1, "limits")
    assert options["key_prefix"] == "p" and kwargs["retry"].get_retries() == 1
    own = settings(LIMITER_REDIS_URL="unix:///run/limiter.sock")[0]
    assert own == "redis+unix:///run/limiter.sock"
    with pytest.raises(ConfigError, match="LIMITER_REDIS_URL must be") as error:
        settings(LIMITER_REDIS_URL="http://:secret@limiter:6379")
    assert "secret" not in str(error.value)  # the message never shows a password
    monkeypatch.setenv("BLOGSITE_LIMITER_REDIS_URL", "redis://:limits@limiter:6379/0")
    app = create_app(BASE)
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://:limits@limiter:6379/0"
