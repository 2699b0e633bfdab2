"""``flask throttle status`` and ``flask throttle reset`` against a real Redis."""

from __future__ import annotations

import re

import pytest

from blogsite import create_app

from .throttle_support import RATES, delete_prefix, free_port, get, post

pytestmark = pytest.mark.redis

ANON, USER = "/blog/blogs_anon_view/", "/blog/blogs_user_view/"


@pytest.fixture
def app_config(app_config, redis_url):
    rates = RATES | {"login_phone": "3/hour"}  # each failed log-in checks a slow hash
    app_config |= {"REDIS_URL": redis_url, "THROTTLE_RATES": rates}
    yield app_config
    delete_prefix(redis_url, app_config["THROTTLE_KEY_PREFIX"])


def used_and_left(output: str, throttle: str) -> tuple[int, int]:
    """Read the used and left columns of the first row for ``throttle``."""
    line = next(line for line in output.splitlines() if f" {throttle} " in line)
    match = re.search(r"(\d+)\s+(\d+)\s+(-|\d+ \w+)$", line)
    assert match, line
    return int(match[1]), int(match[2])


def test_status_shows_the_budget_left_for_an_address(client, runner):
    for _ in range(2):
        get(client, ANON, ip="192.0.2.5")
    result = runner.invoke(args=["throttle", "status", "--ip", "192.0.2.5"])
    assert result.exit_code == 0, result.output
    anon = next(line for line in result.output.splitlines() if " anon " in line)
    assert "ip:192.0.2.5" in anon and "3 requests per minute" in anon
    assert used_and_left(result.output, "anon") == (2, 1)
    assert "RedisStorage (moving-window)" in result.output


def test_status_without_a_client_lists_the_rates_and_tracked_clients(client, runner):
    get(client, ANON, ip="192.0.2.6")
    get(client, USER, ip="192.0.2.7")
    result = runner.invoke(args=["throttle", "status"])
    assert result.exit_code == 0, result.output
    assert "anon         3 requests per minute" in result.output
    assert "login        5 requests per minute and 20 requests per hour" in result.output
    assert "ip:192.0.2.6" in result.output and "ip:192.0.2.7" in result.output


def test_reset_an_address_gives_its_budget_back(client, runner):
    assert [get(client, ANON).status_code for _ in range(4)] == [200, 200, 200, 429]
    result = runner.invoke(args=["throttle", "reset", "--ip", "203.0.113.1"])
    assert result.exit_code == 0, result.output
    assert "Cleared 1 used limits." in result.output
    assert get(client, ANON).status_code == 200
    assert get(client, ANON, ip="203.0.113.1").status_code == 200


def test_reset_a_user_clears_their_budgets_and_failed_logins(client, runner, auth, make_user):
    user_id = make_user()
    for _ in range(3):  # someone guessing this user's password from several addresses
        post(client, "/auth/login", ip="198.51.100.20",
             data={"phone_no": "+819012345678", "password": "guess"})  # fmt: skip
        runner.invoke(args=["throttle", "reset", "--ip", "198.51.100.20"])
    assert auth.login().status_code == 429
    result = runner.invoke(args=["throttle", "status", "--user", str(user_id)])
    assert "login_phone" in result.output
    result = runner.invoke(args=["throttle", "reset", "--user", str(user_id)])
    assert result.exit_code == 0, result.output
    assert auth.login().status_code == 302
    assert [get(client, USER).status_code for _ in range(4)] == [200, 200, 200, 429]
    runner.invoke(args=["throttle", "reset", "--user", str(user_id)])
    assert get(client, USER).status_code == 200


def test_a_phone_number_can_be_unlocked_on_its_own(client, runner):
    for n in range(3):
        post(client, "/auth/login", ip=f"198.51.100.{n}",
             data={"phone_no": "+819011112222", "password": "guess"})  # fmt: skip
    result = runner.invoke(args=["throttle", "status", "--phone", "+81 90 1111 2222"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "login_phone" in line)
    assert row.startswith("phone:") and "+81" not in result.output  # hashed, never shown
    assert used_and_left(result.output, "login_phone") == (3, 0)
    assert runner.invoke(args=["throttle", "reset", "--phone", "+819011112222"]).exit_code == 0
    status = runner.invoke(args=["throttle", "status", "--phone", "+819011112222"]).output
    assert used_and_left(status, "login_phone") == (0, 3)


def test_reset_everything_asks_first(client, runner):
    get(client, ANON, ip="192.0.2.8")
    get(client, USER, ip="192.0.2.9")
    refused = runner.invoke(args=["throttle", "reset"], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert "ip:192.0.2.8" in runner.invoke(args=["throttle", "status"]).output
    result = runner.invoke(args=["throttle", "reset", "--yes"])
    assert result.exit_code == 0 and "Cleared 2 counters." in result.output
    assert "No client has used any budget" in runner.invoke(args=["throttle", "status"]).output


BAD_CLIENTS = [
    (["--ip", "300.1.2.3"], "'300.1.2.3' is not an IPv4 or IPv6 address."),
    (["--ip", ""], "is not an IPv4 or IPv6 address"),
    (["--user", "999"], "No user has the id 999."),
    (["--user", "0"], "0 is not a user id"),
    (["--user", "99999999999"], "is not a user id"),
    (["--user", "abc"], "'abc' is not a valid integer"),
    (["--phone", "call me"], "'call me' is not a phone number."),
    (["--ip", "192.0.2.1", "--user", "1"], "Give one of --ip, --user or --phone"),
]


def test_bad_clients_get_a_clear_error(runner):
    for command in ("status", "reset"):
        for args, message in BAD_CLIENTS:
            result = runner.invoke(args=["throttle", command, *args])
            assert result.exit_code == 2, (command, args, result.output)
            assert message in result.output, (command, args, result.output)
            assert "Traceback" not in result.output


def test_unreachable_redis_is_a_clear_error(app, app_config):
    dead = create_app(app_config | {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    result = dead.test_cli_runner().invoke(args=["throttle", "status", "--ip", "192.0.2.1"])
    assert result.exit_code == 1
    assert "The throttle storage is unreachable" in result.output
