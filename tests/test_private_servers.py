"""A run with no service URLs starts private servers from installed binaries, or says why not."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from typing import Any

import pytest

from .private_servers import SWITCH, postgres_binaries
from .servers import ROOT
from .services import require_binary, require_postgres

# One test that needs both PostgreSQL and Redis.
PROBE = "tests/test_cache_pages.py::test_anonymous_pages_are_cached_with_etags[postgresql-/]"
PRIVATE_URL = re.compile(r"Private (PostgreSQL|redis-server) for this run \(.*\): (\S+)")

pytestmark = pytest.mark.slow


def run_probe(**env: str) -> subprocess.CompletedProcess[str]:
    """Run the probe in a fresh pytest with neither URL set (unless given) and not under CI."""
    unset = ("TEST_DATABASE_URL", "REDIS_URL", "CI", SWITCH)
    clean = {name: value for name, value in os.environ.items() if name not in unset}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", PROBE],
        cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def answers(url: str) -> bool:
    port = int(re.search(r":(\d+)/", url)[1])  # type: ignore[index]
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def binaries() -> Any:
    require_binary("redis-server")
    if postgres_binaries() is None:
        require_binary("initdb")  # skips (fails under CI) with the usual message


def test_no_urls_start_private_servers_that_run_the_test_and_go_away(binaries: Any) -> None:
    result = run_probe()
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    started = dict(PRIVATE_URL.findall(result.stdout))
    assert set(started) == {"PostgreSQL", "redis-server"}
    assert not [url for url in started.values() if answers(url)], "a server outlived the run"


def test_an_explicit_url_wins_over_a_private_server(binaries: Any) -> None:
    url = require_postgres()
    result = run_probe(TEST_DATABASE_URL=url)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    assert set(dict(PRIVATE_URL.findall(result.stdout))) == {"redis-server"}


def test_without_private_servers_the_run_skips_and_says_which_service_is_missing() -> None:
    result = run_probe(**{SWITCH: "0"})
    assert "1 skipped" in result.stdout, result.stdout + result.stderr
    assert "Private" not in result.stdout
    assert "Tests skipped for lack of a service" in result.stdout
    assert "SKIPPED 1 tests, PostgreSQL: TEST_DATABASE_URL is not set" in result.stdout


def test_without_private_servers_a_missing_service_fails_under_ci() -> None:
    result = run_probe(**{SWITCH: "0", "CI": "true"})
    assert "1 error" in result.stdout, result.stdout + result.stderr
    assert "(CI=true: required, not skipped)" in result.stdout
