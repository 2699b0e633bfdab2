"""Brute-force limits: failed log-ins per address and per phone number, and registration."""

from __future__ import annotations

import pytest

from blogsite import create_app
from blogsite.throttling import budget_status

from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE
from .throttle_support import delete_prefix, get, post

pytestmark = pytest.mark.redis

LOGIN = "/auth/login"
OTHER_PHONE = "+819087654321"


# Low rates from configuration (the defaults are 5/minute;20/hour and 10/hour): every
# failed attempt checks a password hash, which is slow on purpose.
LOGIN_RATES = {"login": "3/minute;20/hour", "login_phone": "3/hour"}


@pytest.fixture
def app_config(app_config, redis_url):
    app_config |= {"REDIS_URL": redis_url, "THROTTLE_RATES": dict(LOGIN_RATES)}
    yield app_config
    delete_prefix(redis_url, app_config["THROTTLE_KEY_PREFIX"])


def attempt(client, ip="203.0.113.1", phone=DEFAULT_PHONE, password="wrong password"):
    return post(client, LOGIN, ip=ip, data={"phone_no": phone, "password": password})


def test_failures_per_minute_per_address(app, client, make_user):
    make_user()
    make_user(OTHER_PHONE)
    failures = [attempt(client) for _ in range(3)]
    assert all(r.status_code == 200 and "Wrong phone number" in r.get_data(as_text=True)
               for r in failures)  # fmt: skip
    blocked = attempt(client, password=DEFAULT_PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many failed log-in attempts from your address" in blocked.get_data(as_text=True)
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # The hour budget counted the same failures.
    with app.app_context():
        login_rows = {r["limit"]: r for r in budget_status(ip="203.0.113.1")
                      if r["throttle"] == "login"}  # fmt: skip
    assert login_rows["3 requests per minute"]["used"] == 3
    assert login_rows["20 requests per hour"]["used"] == 3
    # Another address is not blocked (this phone's own budget is spent too: another user).
    ok = attempt(client, ip="203.0.113.2", phone=OTHER_PHONE, password=DEFAULT_PASSWORD)
    assert ok.status_code == 302


def test_the_hour_limit_holds_when_the_minute_one_is_loose(app, app_config, make_user):
    make_user()
    app = create_app(app_config | {"THROTTLE_RATES": {"login": "50/minute;2/hour"}})
    client = app.test_client()
    assert [attempt(client).status_code for _ in range(3)] == [200, 200, 429]


def test_successful_logins_and_page_views_do_not_count(client, auth, make_user):
    make_user()
    for _ in range(4):
        assert attempt(client, password=DEFAULT_PASSWORD).status_code == 302
        auth.logout()
    assert [get(client, LOGIN).status_code for _ in range(10)] == [200] * 10
    assert [attempt(client).status_code for _ in range(4)] == [200] * 3 + [429]
    assert get(client, LOGIN).status_code == 200  # the form still shows


def test_failures_per_phone_across_addresses(client, make_user):
    make_user()
    make_user(OTHER_PHONE)
    codes = [attempt(client, ip=f"198.51.100.{n}").status_code for n in range(1, 4)]
    assert codes == [200] * 3
    blocked = attempt(client, ip="198.51.100.11", password=DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert "for this phone number" in blocked.get_data(as_text=True)
    # The same phone written differently is the same phone.
    assert attempt(client, ip="198.51.100.12", phone="+81 90-1234-5678").status_code == 429
    # Other phone numbers from fresh addresses are not affected.
    ok = attempt(client, ip="198.51.100.13", phone=OTHER_PHONE, password=DEFAULT_PASSWORD)
    assert ok.status_code == 302


def test_malformed_phone_numbers_count_against_the_address(client):
    codes = [attempt(client, phone="not a phone").status_code for _ in range(4)]
    assert codes == [200] * 3 + [429]


def test_registration_counts_every_post_per_address(app_config):
    app = create_app(app_config | {"THROTTLE_RATES": {**LOGIN_RATES, "register": "3/hour"}})
    client = app.test_client()
    bad_form = {"phone_no": "not a phone", "name": "x", "password": "a", "password2": "b"}
    codes = [post(client, "/auth/register", data=bad_form).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    blocked = post(client, "/auth/register", data=bad_form)
    assert "Too many registrations from your address" in blocked.get_data(as_text=True)
    assert get(client, "/auth/register").status_code == 200  # the form itself never counts
    other = post(client, "/auth/register", ip="203.0.113.99", data=bad_form)
    assert other.status_code == 200


def test_admin_login_shares_the_login_budgets(client, make_user):
    make_user(is_staff=True)
    form = {"phone_no": DEFAULT_PHONE, "password": "wrong password"}
    codes = [post(client, "/admin/login/", data=form).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    # The site's login and the console's count against the same address budget.
    assert attempt(client).status_code == 429
    assert post(client, "/admin/login/", data=form).status_code == 429
    assert get(client, "/admin/login/").status_code == 200
