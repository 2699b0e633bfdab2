"""The access record holds the final page-cache outcome and the throttle outcome (real Redis)."""

from __future__ import annotations

from typing import Any

import pytest

from . import logtools
from .logtools import LogFile
from .throttle_support import RATES, get

log_file = logtools.log_file  # the logging tests' fixture

pytestmark = pytest.mark.redis

ANON = "/blog/blogs_anon_view/"


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    """Cache pages and count throttles in the shared Redis, at 3 requests a minute."""
    return app_config | {"REDIS_URL": redis_url, "THROTTLE_RATES": dict(RATES)}


def access(log_file: LogFile, txid: str) -> dict[str, Any]:
    [record] = log_file.records(logger="blogsite.access", txid=txid)
    return record


def test_the_access_record_says_miss_hit_or_bypass(
    log_file: LogFile, client: Any, auth: Any, make_blog: Any, make_user: Any
) -> None:
    make_blog("Cached reading")
    first = client.get("/", headers={"X-Request-ID": "page-1"})
    second = client.get("/", headers={"X-Request-ID": "page-2"})
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert access(log_file, "page-1")["cache"] == "MISS"  # was null: X-Cache came later
    assert access(log_file, "page-2")["cache"] == "HIT"
    client.get("/healthz", headers={"X-Request-ID": "not-a-page"})
    assert access(log_file, "not-a-page")["cache"] == "BYPASS"
    make_user()
    assert auth.login().status_code == 302
    personal = client.get("/", headers={"X-Request-ID": "personal"})
    assert "X-Cache" not in personal.headers
    assert access(log_file, "personal")["cache"] == "BYPASS"


def test_the_access_record_says_which_throttle_and_what_is_left(
    log_file: LogFile, client: Any
) -> None:
    for n in range(4):
        get(client, ANON, headers={"X-Request-ID": f"anon-{n}"})
    records = [access(log_file, f"anon-{n}") for n in range(4)]
    assert [r["throttled"] for r in records] == [False, False, False, True]
    assert [r["throttle"] for r in records] == ["anon"] * 4
    assert [r["rate_remaining"] for r in records] == [2, 1, 0, 0]
    assert records[3]["status"] == 429
    client.get("/", headers={"X-Request-ID": "unthrottled"})
    unthrottled = access(log_file, "unthrottled")
    assert unthrottled["throttled"] is False
    assert unthrottled["throttle"] is None and unthrottled["rate_remaining"] is None
