"""Containers started together migrate one at a time (a PostgreSQL advisory lock)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from .services import throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
LOCK_ID = int(
    re.search(r"MIGRATION_LOCK_ID = ([\d_]+)", (ROOT / "migrations/env.py").read_text())
    .group(1)
    .replace("_", "")
)


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_upgrades_wait_for_the_lock_and_both_succeed():
    with throwaway_postgres("lock") as database:
        run_concurrent_upgrades(make_url(database))


def run_concurrent_upgrades(url: Any) -> None:
    """Start two upgrades while the lock is held; both must wait, then both succeed."""
    name = url.database
    holder = create_engine(url, isolation_level="AUTOCOMMIT")
    env = {**os.environ, "FLASK_APP": "blogsite", "SECRET_KEY": "x" * 40,
           "DATABASE_URL": url.render_as_string(hide_password=False)}  # fmt: skip
    flask = str(Path(sys.executable).with_name("flask"))
    processes = []
    try:
        with holder.connect() as lock:
            # Hold the lock the way a first container would while it migrates.
            lock.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
            processes = [
                subprocess.Popen([flask, "db", "upgrade"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for _ in range(2)
            ]  # fmt: skip
            waiting = 0
            deadline = time.monotonic() + 60
            while waiting < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
                waiting = lock.execute(
                    text("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                         " WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = :db"),
                    {"db": name},
                ).scalar()  # fmt: skip
                assert all(p.poll() is None for p in processes), "an upgrade did not wait"
            assert waiting == 2, "both upgrades should be waiting on the migration lock"
            lock.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
        outputs = [p.communicate(timeout=120)[0] for p in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        with holder.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM blogs")).scalar() == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        holder.dispose()
