"""A Redis primary, a replica and three Sentinels on free loopback ports, for HA tests.

    with RedisSentinelCluster(tmp_path, password="pw") as cluster:
        cluster.sentinels       # [("127.0.0.1", port), ...] for BLOGSITE_REDIS_SENTINELS
        cluster.kill_primary()  # SIGKILL, as a crash
        cluster.wait_for_failover()  # seconds until the replica is the writable primary

Uses Debian's ``redis-sentinel`` when installed, else ``redis-server --sentinel``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import redis

HOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll ``condition`` until it returns true, or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (redis.RedisError, OSError):
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


class RedisSentinelCluster:
    """Start and stop a primary, a replica and three Sentinels monitoring them."""

    def __init__(
        self,
        workdir: Path,
        *,
        master_name: str = "blogsite",
        password: str | None = None,
        down_after_ms: int = 1000,
        redis_server: str = "redis-server",
    ) -> None:
        self.workdir = workdir
        self.master_name = master_name
        self.password = password
        self.down_after_ms = down_after_ms
        self.redis_server = redis_server
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.sentinels = [(HOST, free_port()) for _ in range(3)]
        self.processes: dict[str, subprocess.Popen] = {}
        self.killed_at: float | None = None

    def _data_node(self, name: str, port: int, replica_of: int | None = None) -> None:
        log = str(self.workdir / f"{name}.log")
        args = [self.redis_server, "--port", str(port), "--bind", HOST, "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir),
                "--dbfilename", f"{name}.rdb", "--logfile", log]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password, "--masterauth", self.password]
        if replica_of:
            args += ["--replicaof", HOST, str(replica_of)]
        self.processes[name] = subprocess.Popen(args, stdout=subprocess.DEVNULL)

    def _sentinel(self, index: int, port: int) -> None:
        name = self.master_name
        lines = [f"port {port}", f"bind {HOST}", f"dir {self.workdir}",
                 f"logfile {self.workdir / f'sentinel-{index}.log'}",
                 f"sentinel monitor {name} {HOST} {self.primary_port} 2",
                 f"sentinel down-after-milliseconds {name} {self.down_after_ms}",
                 f"sentinel failover-timeout {name} 10000",
                 f"sentinel parallel-syncs {name} 1"]  # fmt: skip
        if self.password:
            lines.append(f"sentinel auth-pass {name} {self.password}")
        config = self.workdir / f"sentinel-{index}.conf"  # Sentinel rewrites it: writable
        config.write_text("\n".join(lines) + "\n")
        binary = shutil.which("redis-sentinel")
        args = [binary, str(config)] if binary else [self.redis_server, str(config), "--sentinel"]
        self.processes[f"sentinel-{index}"] = subprocess.Popen(args, stdout=subprocess.DEVNULL)

    def client(self, port: int) -> redis.Redis:
        """Return a client for the data node on ``port``."""
        return redis.Redis(HOST, port, password=self.password, socket_timeout=1,
                           socket_connect_timeout=1)  # fmt: skip

    def sentinel_client(self, index: int = 0) -> redis.Redis:
        """Return a client for one Sentinel."""
        return redis.Redis(*self.sentinels[index], socket_timeout=1, socket_connect_timeout=1)

    def master_port(self, index: int = 0) -> int:
        """Return the port of the primary according to Sentinel ``index``."""
        address = self.sentinel_client(index).sentinel_get_master_addr_by_name(self.master_name)
        return int(address[1])

    def start(self) -> RedisSentinelCluster:
        """Start everything and wait until the Sentinels know the whole topology."""
        self._data_node("primary", self.primary_port)
        self._data_node("replica", self.replica_port, replica_of=self.primary_port)
        wait_until(lambda: self.client(self.primary_port).ping(), 10, "the primary")
        wait_until(
            lambda: self.client(self.replica_port).info("replication")["master_link_status"]
            == "up", 10, "the replica to sync",
        )  # fmt: skip
        for index, (_host, port) in enumerate(self.sentinels):
            self._sentinel(index, port)
        for index in range(3):
            sentinel = self.sentinel_client(index)
            # A failover needs a majority of Sentinels that know each other and the replica.
            wait_until(lambda s=sentinel: len(s.sentinel_sentinels(self.master_name)) == 2
                       and len(s.sentinel_slaves(self.master_name)) == 1, 20,
                       "the Sentinels to discover each other and the replica")  # fmt: skip
        return self

    def kill_primary(self) -> None:
        """Kill the primary without warning (SIGKILL)."""
        process = self.processes.pop("primary")
        process.kill()
        process.wait()
        self.killed_at = time.monotonic()

    def wait_for_failover(self, timeout: float = 30) -> float:
        """Wait until every Sentinel names the replica and it accepts writes; return seconds."""
        assert self.killed_at is not None, "kill_primary() first"
        for index in range(3):
            wait_until(lambda i=index: self.master_port(i) == self.replica_port, timeout,
                       "the Sentinels to promote the replica")  # fmt: skip
        promoted = self.client(self.replica_port)
        wait_until(lambda: promoted.info("replication")["role"] == "master", timeout,
                   "the replica to become a primary")  # fmt: skip
        return time.monotonic() - self.killed_at

    def restart_old_primary(self) -> None:
        """Start the killed primary again on its port; the Sentinels will demote it."""
        self._data_node("primary", self.primary_port)

    def wait_for_demotion(self, timeout: float = 60) -> float:
        """Wait until the restarted old primary is a replica; return seconds.

        A Sentinel demotes it once it has reported the master role for 8 s, on its next
        INFO (every 10 s): about 10-20 s. A Sentinel whose timer stalls, as on a loaded
        machine, goes into TILT mode and acts on nothing for 30 s: hence 60 s. On a time-out
        the error carries the Sentinels' last log lines.
        """
        started = time.monotonic()
        old = self.client(self.primary_port)
        try:
            wait_until(lambda: old.info("replication")["role"] == "slave", timeout,
                       "the demotion")  # fmt: skip
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.sentinel_logs()}") from None
        return time.monotonic() - started

    def sentinel_logs(self, lines: int = 15) -> str:
        """Return the last ``lines`` lines of each Sentinel's log."""
        parts = []
        for index in range(len(self.sentinels)):
            path = self.workdir / f"sentinel-{index}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- sentinel-{index}.log\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop every process this cluster started."""
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def __enter__(self) -> RedisSentinelCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
