"""Brute-force limits: failed log-ins per address and per phone number, and registration."""

from __future__ import annotations

import io

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
LOGIN_RATES = {
    "login": "3/minute;20/hour",
    "login_phone": "3/hour",
    "password": "3/minute;20/hour",
    "password_user": "3/hour",
}


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


def test_page_views_do_not_count_and_a_success_is_one_attempt(app, client, auth, make_user):
    """Every password check counts before it runs; a success clears only its phone's budget."""
    make_user()
    assert [get(client, LOGIN).status_code for _ in range(10)] == [200] * 10
    assert [attempt(client).status_code for _ in range(2)] == [200, 200]
    assert attempt(client, password=DEFAULT_PASSWORD).status_code == 302
    auth.logout()
    with app.app_context():
        phone_rows = budget_status(phone=DEFAULT_PHONE)
        address_rows = budget_status(ip="203.0.113.1")
    assert [row["used"] for row in phone_rows] == [0]  # the owner proved the password
    # The address counted all three checks: the storage cannot give a hit back, and
    # clearing an address on success would let an attacker's own account reset it.
    assert [row["used"] for row in address_rows if row["throttle"] == "login"] == [3, 3]
    assert attempt(client, password=DEFAULT_PASSWORD).status_code == 429
    # The phone's budget is whole again: three failures from fresh addresses, then 429.
    codes = [attempt(client, ip=f"198.51.100.{n}").status_code for n in range(1, 5)]
    assert codes == [200, 200, 200, 429]
    assert get(client, LOGIN).status_code == 200  # the form still shows


def test_json_logins_count_against_the_phone(client, make_user):
    """The per-phone key reads the JSON body that the form reads."""
    make_user()
    body = {"phone_no": DEFAULT_PHONE, "password": "wrong password"}
    codes = [post(client, LOGIN, ip=f"198.51.100.{n}", json=body).status_code
             for n in range(1, 4)]  # fmt: skip
    assert codes == [200] * 3
    right = post(client, LOGIN, ip="198.51.100.9", json=body | {"password": DEFAULT_PASSWORD})
    assert right.status_code == 429
    assert "for this phone number" in right.get_data(as_text=True)
    # The same budget whatever the encoding: a form post for that phone is refused too.
    assert attempt(client, ip="198.51.100.10", password=DEFAULT_PASSWORD).status_code == 429


def test_multipart_logins_count_against_the_phone(client, make_user):
    make_user()

    def multipart(ip):
        # A file makes Flask-WTF read files and fields together (CombinedMultiDict).
        body = {"phone_no": DEFAULT_PHONE, "password": "wrong password",
                "note": (io.BytesIO(b"hello"), "note.txt")}  # fmt: skip
        return post(client, LOGIN, ip=ip, data=body, content_type="multipart/form-data")

    assert [multipart(f"198.51.100.{n}").status_code for n in range(1, 4)] == [200] * 3
    assert multipart("198.51.100.8").status_code == 429
    right = post(client, LOGIN, ip="198.51.100.9", json={"phone_no": DEFAULT_PHONE,
                                                         "password": DEFAULT_PASSWORD})  # fmt: skip
    assert right.status_code == 429


def test_malformed_json_is_a_400_not_a_limiter_failure(client, caplog):
    response = post(client, LOGIN, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "falling back to in-memory" not in caplog.text


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


def change_password(client, current, ip="203.0.113.1"):
    new = "a new long passphrase"
    form = {"password-current_password": current, "password-new_password": new,
            "password-confirm": new, "password-change_password": "y"}  # fmt: skip
    return post(client, "/auth/account", ip=ip, data=form)


def test_current_password_guesses_are_limited(app, client, auth, make_user):
    """The account page's current-password check is limited like a log-in: no endless guessing."""
    user_id = make_user()
    assert auth.login().status_code == 302
    codes = [change_password(client, "wrong password").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    blocked = change_password(client, DEFAULT_PASSWORD)
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "Too many wrong passwords from your address" in blocked.get_data(as_text=True)
    # Per user too: from another address the same session gets no more guesses.
    elsewhere = change_password(client, "wrong again", ip="198.51.100.7")
    assert elsewhere.status_code == 429
    assert "Too many wrong passwords for this account" in elsewhere.get_data(as_text=True)
    with app.app_context():
        rows = {(r["throttle"], r["limit"]): r["used"] for r in budget_status(user_id=user_id)}
        address = {(r["throttle"], r["limit"]): r["used"] for r in budget_status(ip="203.0.113.1")}
    assert rows[("password_user", "3 requests per hour")] == 3
    assert address[("password", "3 requests per minute")] == 3
    assert address[("login", "3 requests per minute")] == 0  # log-ins have their own budget
    # Saving the profile never checks a password and is not refused.
    profile = {"profile-name": "Hanako", "profile-email": "", "profile-save_profile": "y"}
    assert post(client, "/auth/account", data=profile).status_code == 302
    # An operator can unlock the user.
    runner = app.test_cli_runner()
    assert "Cleared" in runner.invoke(args=["throttle", "reset", "--user", str(user_id)]).output
    assert change_password(client, DEFAULT_PASSWORD, ip="198.51.100.8").status_code == 302


def test_right_current_password_clears_the_user_budget(app, client, auth, make_user):
    user_id = make_user()
    auth.login()
    assert change_password(client, "wrong password").status_code == 200
    assert change_password(client, DEFAULT_PASSWORD).status_code == 302
    with app.app_context():
        rows = [r for r in budget_status(user_id=user_id) if r["throttle"] == "password_user"]
    assert [row["used"] for row in rows] == [0]
