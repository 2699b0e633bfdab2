"""DRF's anon, user and scoped throttles on the original's pages, counted in a real Redis."""

from __future__ import annotations

import functools
import re
import time

import pytest

from blogsite import create_app
from blogsite.throttling import anon_throttle, app_throttles, budget_status, scoped_throttle

from .throttle_support import RATES, delete_prefix, get, prefixed_keys

pytestmark = pytest.mark.redis

ANON, USER, SCOPED = "/blog/blogs_anon_view/", "/blog/blogs_user_view/", "/blog/blogs_scoped_view/"


@pytest.fixture
def app_config(app_config, redis_url):
    """Count in the shared Redis under this test's own prefix, at 3 requests a minute."""
    app_config |= {"REDIS_URL": redis_url, "THROTTLE_RATES": dict(RATES)}
    yield app_config
    delete_prefix(redis_url, app_config["THROTTLE_KEY_PREFIX"])


def current_limiter_of(app):
    return app_throttles(app).limiter


def statuses(client, url, count, **kwargs):
    return [get(client, url, **kwargs).status_code for _ in range(count)]


def test_pages_list_every_published_blog_with_author_and_date(client, make_blog):
    make_blog("Throttled reading", author_name="alice")
    make_blog("Hidden draft", status="draft")
    for url in (ANON, USER, SCOPED):
        page = get(client, url, ip=f"198.51.100.{len(url)}").get_data(as_text=True)
        assert "Throttled reading" in page and "alice" in page
        assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', page)
        assert "Hidden draft" not in page
        assert get(client, url + "?page=abc", ip="192.0.2.200").status_code == 400


def test_pages_paginate(app, client, make_blog):
    for n in range(12):
        make_blog(f"Blog {n}")
    first = get(client, ANON).get_data(as_text=True)
    assert first.count("<tr>") == 11  # header row and ten blogs
    assert f'href="{ANON}?page=2&amp;after=' in first  # a keyset cursor (test_scale.py)
    assert get(client, ANON + "?page=2").get_data(as_text=True).count("<tr>") == 3
    assert get(client, ANON + "?page=3").status_code == 404


def test_anon_throttle_counts_per_address_in_redis(app, client):
    before = time.time()
    responses = [get(client, ANON) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses[:3]] == ["2", "1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in responses)
    assert before < int(responses[0].headers["X-RateLimit-Reset"]) <= before + 62
    assert get(client, ANON, ip="203.0.113.2").status_code == 200  # another address
    keys = prefixed_keys(app.config["REDIS_URL"], app.config["THROTTLE_KEY_PREFIX"])
    assert any("ip:203.0.113.1/anon" in key for key in keys), keys


def test_anon_throttle_skips_logged_in_users(client, auth, make_user):
    make_user()
    assert auth.login().status_code == 302
    responses = [get(client, ANON) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert "X-RateLimit-Limit" not in responses[-1].headers
    auth.logout()
    assert statuses(client, ANON, 4) == [200, 200, 200, 429]


def test_user_throttle_keys_logged_in_users_on_their_id(app, client, auth, make_user):
    user_id = make_user()
    auth.login()
    # One budget for the user, whichever address they come from.
    assert [get(client, USER, ip=ip).status_code for ip in ("192.0.2.1", "192.0.2.2")] == [200] * 2
    assert get(client, USER, ip="192.0.2.3").status_code == 200
    assert get(client, USER, ip="192.0.2.4").status_code == 429
    # An anonymous visitor at one of those addresses has a budget of their own.
    anonymous = app.test_client()
    assert statuses(anonymous, USER, 4, ip="192.0.2.1") == [200, 200, 200, 429]
    with app.app_context():
        rows = {(row["client"], row["throttle"]): row for row in budget_status(user_id=user_id)}
    assert rows[f"user:{user_id}", "user"]["used"] == 3
    assert rows[f"user:{user_id}", "blog_limit"]["used"] == 0


def test_user_throttle_keys_anonymous_visitors_on_their_address(client):
    assert statuses(client, USER, 4, ip="192.0.2.9") == [200, 200, 200, 429]
    assert get(client, USER, ip="192.0.2.10").status_code == 200


def test_scope_is_one_budget_for_every_view_in_it(app, client):
    @scoped_throttle("blog_limit")
    def other_scoped_view() -> str:
        return "another page in the blog_limit scope"

    app.add_url_rule("/test/other-scoped/", "other_scoped", other_scoped_view)
    codes = [get(client, url).status_code for url in (SCOPED, "/test/other-scoped/", SCOPED)]
    assert codes == [200, 200, 200]
    assert get(client, "/test/other-scoped/").status_code == 429
    assert get(client, SCOPED).status_code == 429
    # DRF semantics: other throttles keep their own budgets, and other clients theirs.
    assert statuses(client, ANON, 1) == [200]
    assert statuses(client, USER, 1) == [200]
    assert get(client, SCOPED, ip="203.0.113.50").status_code == 200


def test_a_page_answered_beneath_the_throttle_still_counts(app, client):
    # Like @cached_page: a wrapper beneath the throttle answers without running the view.
    def answer_early(view):
        @functools.wraps(view)
        def early(*args, **kwargs):
            return "cached copy"

        return early

    @anon_throttle
    @answer_early
    def early_view() -> str:
        return "the view"

    app.add_url_rule("/test/early/", "early", early_view)
    responses = [get(client, "/test/early/") for _ in range(4)]
    assert [r.get_data(as_text=True) for r in responses[:3]] == ["cached copy"] * 3
    assert responses[3].status_code == 429


def test_every_app_has_a_limiter_of_its_own(app_config, client):
    # The old module-level limiter kept its first app's storage; each app now has its own.
    statuses(client, ANON, 3)
    prefix = app_config["THROTTLE_KEY_PREFIX"] + "-other"
    rates = {**RATES, "anon": "1/minute"}
    other = create_app({**app_config, "THROTTLE_RATES": rates, "THROTTLE_KEY_PREFIX": prefix})
    other_client = other.test_client()
    assert statuses(other_client, ANON, 2) == [200, 429]
    assert get(client, ANON).status_code == 429
    assert current_limiter_of(other) is not current_limiter_of(client.application)


def test_throttled_page_says_when_to_retry(client):
    statuses(client, ANON, 3)
    page = get(client, ANON)
    assert page.status_code == 429
    retry_after = int(page.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    text = page.get_data(as_text=True)
    assert "Too many requests" in text and "3 requests per minute" in text
    assert re.search(rf"try again in ({retry_after}|{retry_after - 1}) seconds", text), text
    assert page.headers["X-RateLimit-Remaining"] == "0"


def test_throttled_json_client_gets_json(client):
    statuses(client, ANON, 3)
    response = get(client, ANON, headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert response.is_json
    body = response.get_json()
    assert body["status"] == 429 and body["error"] == "Too Many Requests"
    assert body["retry_after"] == int(response.headers["Retry-After"])
    assert 1 <= body["retry_after"] <= 60
    assert body["limit"] == "3 requests per minute"


def test_unthrottled_pages_carry_no_rate_limit_headers(client):
    response = get(client, "/")
    assert response.status_code == 200
    assert not [name for name, _ in response.headers.items() if name.startswith("X-RateLimit")]
    assert "Retry-After" not in get(client, ANON).headers  # a 200 has nothing to retry


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client):
    codes = [
        get(client, ANON, headers={"X-Forwarded-For": f"10.9.8.{n}"}).status_code for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_one_trusted_proxy_gives_the_rightmost_address(app, app_config):
    app = create_app(app_config | {"TRUSTED_PROXIES": 1})  # same database, fresh settings
    proxied = app.test_client()

    def through_proxy(forwarded: str) -> int:
        return get(proxied, ANON, ip="10.0.0.2", headers={"X-Forwarded-For": forwarded}).status_code

    # The client spoofs the left part; the proxy appends the address it really saw.
    codes = [through_proxy(f"6.6.6.{n}, 198.51.100.7") for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert through_proxy("198.51.100.8") == 200
    with app.app_context():
        anon = [r for r in budget_status(ip="198.51.100.7") if r["throttle"] == "anon"]
    assert anon[0]["used"] == 3


def test_ipv6_clients_count_per_64_block(client):
    codes = [get(client, ANON, ip=f"2001:db8:1:2::{n}").status_code for n in (1, 2, 3, 4)]
    assert codes == [200, 200, 200, 429]
    assert get(client, ANON, ip="2001:db8:1:3::1").status_code == 200
    assert get(client, ANON, ip="::ffff:192.0.2.77").status_code == 200


def test_null_rate_switches_a_throttle_off(app, app_config):
    app = create_app(app_config | {"THROTTLE_RATES": {"anon": None}})
    client = app.test_client()
    responses = [get(client, ANON) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert "X-RateLimit-Limit" not in responses[-1].headers
    assert "no limit" in responses[-1].get_data(as_text=True)
