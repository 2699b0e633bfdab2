"""Settings of the site, the in-process cache, throttling and Sentry, each seen changing behaviour.

The Redis settings are in test_settings_behaviour_redis.py, gunicorn's and compose's in
test_settings_behaviour_deploy.py; tests/settings_coverage.py names each test.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import sentry_sdk
from sqlalchemy import select

from blogsite import caching, create_app
from blogsite.extensions import db
from blogsite.models import Blog

from .admin.conftest import SUPERUSER_PHONE, admin_login
from .logtools import Collector, iter_envelope_items, wait_for
from .test_sentry import sentry_endpoint, sentry_events  # noqa: F401  (the fixture)

# The in-process cache, throttling and Sentry are under test, not the database.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ANON = "/blog/blogs_anon_view/"


def rename(app: Any, title: str) -> None:
    with app.app_context():
        db.session.scalar(select(Blog)).title = title
        db.session.commit()


@SQLITE
def test_admin_url_prefix_moves_the_console(app, app_config, make_user):
    make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)
    client = create_app(app_config | {"ADMIN_URL_PREFIX": "/backstage/"}).test_client()
    assert client.get("/admin/").status_code == 404
    login = client.get("/backstage/login/")
    assert login.status_code == 200 and "nonce-" in login.headers["Content-Security-Policy"]
    assert "Disallow: /backstage/" in client.get("/robots.txt").text
    response = client.post(
        "/backstage/login/", data={"phone_no": SUPERUSER_PHONE, "password": "correct horse battery"}
    )
    assert response.status_code == 302, response.text
    home = client.get("/backstage/")
    assert home.status_code == 200 and 'href="/backstage/blogs/' in home.text
    assert home.headers["Cache-Control"].startswith("no-store")


def test_admin_url_prefix_must_be_a_path(app_config):
    from blogsite.config import ConfigError

    for bad in ("/", "backstage", ""):
        with pytest.raises(ConfigError, match="BLOGSITE_ADMIN_URL_PREFIX must be a path"):
            create_app(app_config | {"ADMIN_URL_PREFIX": bad})


@SQLITE
def test_admin_content_security_policy_is_the_consoles(app, app_config, make_user):
    policy = "default-src 'self'; script-src 'nonce-{nonce}' {hashes}; img-src https://img.example"
    client = create_app(app_config | {"ADMIN_CONTENT_SECURITY_POLICY": policy}).test_client()
    console = client.get("/admin/login/").headers["Content-Security-Policy"]
    assert console.startswith("default-src 'self'; script-src 'nonce-")
    assert console.endswith("; img-src https://img.example") and "'sha256-" in console
    assert (
        "{nonce}" not in console
        and "img.example" not in client.get("/").headers["Content-Security-Policy"]
    )
    make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)
    assert admin_login(client, SUPERUSER_PHONE).status_code == 302
    assert "img.example" in client.get("/admin/").headers["Content-Security-Policy"]


@SQLITE
def test_cache_local_timeout_is_how_long_another_worker_lags_a_write(app, app_config, make_blog):
    """Two workers without Redis: each keeps its own copy until CACHE_LOCAL_TIMEOUT ends it."""
    make_blog("Alpha", author_name="writer")
    local = app_config | {"REDIS_URL": None}
    # 2 s, not 1: on a loaded CI machine a second passed between the two reads below.
    quick, slow = (create_app(local | {"CACHE_LOCAL_TIMEOUT": s}).test_client() for s in (2, 30))
    for reader in (quick, slow):
        reader.get("/blog/alpha/")
        assert reader.get("/blog/alpha/").headers["X-Cache"] == "HIT"
    rename(create_app(local), "Beta")  # a third worker writes
    # No check of the quick reader here: cachelib rounds expiry times down to the second.
    assert "Beta</" not in slow.get("/blog/alpha/").text
    time.sleep(2.1)
    assert "Beta</" in quick.get("/blog/alpha/").text
    assert "Beta</" not in slow.get("/blog/alpha/").text


@SQLITE
def test_cache_threshold_bounds_the_in_process_cache(app, app_config, make_blog):
    for n in range(12):
        make_blog(f"Post {n}", author_name="writer")
    local = app_config | {"REDIS_URL": None}
    small, large = (create_app(local | {"CACHE_THRESHOLD": n}) for n in (5, 500))
    keys = []
    for worker in (small, large):
        client = worker.test_client()
        for n in range(12):
            assert client.get(f"/blog/post-{n}/").status_code == 200
        with worker.app_context():
            keys.append(caching.cache_status()["keys"])
    assert keys[0] <= 5 + 1 < 12 * 2 <= keys[1], keys
    # The first page's generations were pruned: the small cache computes it again.
    assert small.test_client().get("/blog/post-0/").headers["X-Cache"] == "MISS"
    assert large.test_client().get("/blog/post-0/").headers["X-Cache"] == "HIT"


@SQLITE
def test_ratelimit_strategy_fixed_window_resets_moving_window_slides(app, app_config):
    """2/second: a fixed window lets two more in once its second is over; a moving one
    counts the last second, in which one request was already let in."""

    def statuses(strategy: str) -> list[int]:
        config = app_config | {"REDIS_URL": None, "RATELIMIT_STRATEGY": strategy}
        client = create_app(config | {"THROTTLE_RATES": {"anon": "2/second"}}).test_client()
        seen = [client.get(ANON).status_code]
        time.sleep(0.5)
        seen.append(client.get(ANON).status_code)
        time.sleep(0.7)  # the first request is 1.2 s old, the second 0.7 s
        return [*seen, client.get(ANON).status_code, client.get(ANON).status_code]

    assert statuses("fixed-window") == [200, 200, 200, 200]
    assert statuses("moving-window") == [200, 200, 200, 429]


def sentry_app(collector: Collector, config: dict[str, Any], **settings: Any) -> Any:
    dsn = f"http://publickey@127.0.0.1:{collector.port}/42"
    app = create_app({**config, "SENTRY_DSN": dsn, "PROPAGATE_EXCEPTIONS": False, **settings})

    @app.get("/_test/boom")
    def boom() -> str:
        raise ValueError("boom")

    return app


def test_sentry_environment_and_release_tag_the_events(sentry_endpoint, sqlite_config):  # noqa: F811
    app = sentry_app(
        sentry_endpoint, sqlite_config, SENTRY_ENVIRONMENT="staging-7", SENTRY_RELEASE="1.20"
    )
    assert app.test_client().get("/_test/boom").status_code == 500
    sentry_sdk.flush(timeout=5)
    assert wait_for(lambda: len(sentry_events(sentry_endpoint)) >= 1, timeout=10)
    [event] = sentry_events(sentry_endpoint)
    assert (event["environment"], event["release"]) == ("staging-7", "1.20")


def transactions(collector: Collector) -> list[dict[str, Any]]:
    items = (item for body in collector.bodies for item in iter_envelope_items(body))
    return [payload for header, payload in items if header.get("type") == "transaction"]


def test_sentry_traces_sample_rate_sends_transactions(sentry_endpoint, sqlite_config):  # noqa: F811
    untraced = sentry_app(sentry_endpoint, sqlite_config, SENTRY_TRACES_SAMPLE_RATE=0.0)
    assert untraced.test_client().get("/healthz").status_code == 200
    sentry_sdk.flush(timeout=5)
    assert transactions(sentry_endpoint) == []
    traced = sentry_app(sentry_endpoint, sqlite_config, SENTRY_TRACES_SAMPLE_RATE=1.0)
    for _ in range(3):
        assert traced.test_client().get("/healthz").status_code == 200
    sentry_sdk.flush(timeout=5)
    assert wait_for(lambda: len(transactions(sentry_endpoint)) == 3, timeout=10)
    assert {t["transaction"] for t in transactions(sentry_endpoint)} == {"health.healthz"}
