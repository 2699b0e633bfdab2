"""Private throwaway PostgreSQL and Redis for a run with neither URL set, if installed."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .servers import RedisServer, free_port

SWITCH = "BLOGSITE_TEST_PRIVATE_SERVERS"  # "0" keeps the run on what is configured
START_TIMEOUT = 60  # seconds for pg_ctl to see the server accept connections


def enabled() -> bool:
    """Say whether a run may start its own servers for services it was given no URL for."""
    return os.environ.get(SWITCH, "1").lower() not in ("0", "false", "no", "off")


def postgres_binaries() -> tuple[str, str] | None:
    """Return the paths of ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        # pg_ctl finds the ``postgres`` binary beside its real path, not beside a symlink.
        return str(Path(initdb).resolve()), str(Path(pg_ctl).resolve())
    # Debian keeps the server binaries off PATH, one folder per major version.
    folders = glob.glob("/usr/lib/postgresql/*/bin")
    for folder in sorted(folders, key=lambda f: int(Path(f).parent.name), reverse=True):
        initdb, pg_ctl = f"{folder}/initdb", f"{folder}/pg_ctl"
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def _unprivileged_user() -> str | None:
    # initdb and postgres refuse to run as root; as root, run them as postgres (or nobody).
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name).pw_name
        except KeyError:
            continue
    raise RuntimeError("running as root, and there is no postgres or nobody user to run as")


class PrivatePostgres:
    """A PostgreSQL cluster of our own in a temporary folder, trust auth, on a free port."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.user = _unprivileged_user()
        self.folder = Path(tempfile.mkdtemp(prefix="blogsite-postgres-"))
        self.data = self.folder / "data"
        self.port = 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", self.user, "--", *args] if self.user else list(args)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-500:]}")

    def start(self) -> PrivatePostgres:
        if self.user:
            shutil.chown(self.folder, self.user)
        init = [self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--no-sync", "--no-instructions"]  # fmt: skip
        try:  # C.UTF-8 as on the CI server; plain C where the OS has no such locale
            self._run(*init, "--locale=C.UTF-8")
        except RuntimeError:
            shutil.rmtree(self.data, ignore_errors=True)
            self._run(*init, "--locale=C")
        self.port = free_port()
        # Throwaway data: no fsync; the socket in our folder, not in /var/run/postgresql.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", str(START_TIMEOUT), "start")  # fmt: skip
        return self

    def stop(self) -> None:
        if self.port:
            subprocess.run(
                ["runuser", "-u", self.user, "--"] * bool(self.user)
                + [self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True, timeout=60,
            )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateServers:
    """Start what is installed for each service without a URL; set the URL for everyone."""

    def __init__(self) -> None:
        self.postgres: PrivatePostgres | None = None
        self.redis: RedisServer | None = None
        self.redis_folder: Path | None = None
        self.notes: list[str] = []

    def start(self) -> None:
        """Start the missing servers and export their URLs (subprocesses read them too)."""
        if not enabled():
            return
        binaries = postgres_binaries()
        if not os.environ.get("TEST_DATABASE_URL") and binaries:
            postgres = PrivatePostgres(*binaries)
            try:
                postgres.start()
            except Exception as error:  # then its tests skip, and the summary says why
                postgres.stop()
                self.notes.append(f"A private PostgreSQL did not start: {error}")
            else:
                self.postgres = postgres
                os.environ["TEST_DATABASE_URL"] = postgres.url
                where = f"({binaries[0]}): {postgres.url}"
                self.notes.append(f"Private PostgreSQL for this run {where}")
        redis_server = shutil.which("redis-server")
        if not os.environ.get("REDIS_URL") and redis_server:
            self.redis_folder = Path(tempfile.mkdtemp(prefix="blogsite-redis-"))
            redis = RedisServer(redis_server, self.redis_folder)
            try:
                redis.start()
            except Exception as error:
                redis.stop()
                self.notes.append(f"A private redis-server did not start: {error}")
            else:
                self.redis = redis
                os.environ["REDIS_URL"] = redis.url
                where = f"({redis_server}): {redis.url}"
                self.notes.append(f"Private redis-server for this run {where}")

    def stop(self) -> None:
        """Stop what we started and delete its data."""
        if self.postgres is not None:
            self.postgres.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.redis_folder is not None:
            shutil.rmtree(self.redis_folder, ignore_errors=True)
