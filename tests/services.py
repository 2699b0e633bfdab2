"""Which real services (PostgreSQL, Redis, Chromium) this test run can use."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MISSING = "service missing:"


def _unavailable(reason: str) -> None:
    # Under CI every service must be there: a skip would hide untested code.
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)", pytrace=False)
    pytest.skip(f"{MISSING} {reason}")


@functools.cache
def _postgres_error() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "PostgreSQL: TEST_DATABASE_URL is not set"
    from sqlalchemy import create_engine, text

    from blogsite.config import database_url

    engine = create_engine(database_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # any failure means: no usable server
        return f"PostgreSQL at TEST_DATABASE_URL does not answer ({type(error).__name__})"
    finally:
        engine.dispose()
    return None


@functools.cache
def _redis_error() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "Redis: REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at REDIS_URL does not answer ({type(error).__name__})"
    return None


def require_postgres() -> str:
    """Return a normalised ``TEST_DATABASE_URL``, or skip (fail under CI)."""
    from blogsite.config import database_url

    error = _postgres_error()
    if error:
        _unavailable(error)
    return database_url(os.environ["TEST_DATABASE_URL"])


def require_redis() -> str:
    """Return ``REDIS_URL`` for a Redis that answers, or skip (fail under CI)."""
    error = _redis_error()
    if error:
        _unavailable(error)
    return os.environ["REDIS_URL"]


def require_chromium() -> str:
    """Return Chromium's path, or skip (fail under CI)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _unavailable("Chromium: not installed (apt-get install chromium)")
    return path or ""


def require_binary(name: str) -> str:
    """Return the path of a server binary such as ``redis-server``, or skip."""
    path = shutil.which(name)
    if not path:
        _unavailable(f"{name}: not installed")
    return path or ""


def service_summary(skipped: list[Any]) -> list[str]:
    """Lines naming each missing service and how many tests it skipped."""
    counts: dict[str, int] = {}
    for report in skipped:
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if MISSING in reason:
            service = reason.split(MISSING, 1)[1].strip()
            counts[service] = counts.get(service, 0) + 1
    lines = [f"SKIPPED {n} tests, {service}" for service, n in sorted(counts.items())]
    if lines:
        lines.insert(0, "Tests skipped for lack of a service (set the URL, or install the server")
        lines.insert(1, "binaries, redis-server and PostgreSQL's initdb/pg_ctl, to run them):")
    return lines


@contextlib.contextmanager
def throwaway_postgres(label: str) -> Iterator[str]:
    """Create a PostgreSQL database of our own on the test server; drop it afterwards."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(require_postgres())
    name = f"blogsite_{label}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
