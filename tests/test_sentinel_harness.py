"""The Sentinel harness itself: three Sentinels really fail over to the replica."""

from __future__ import annotations

import pytest
from redis.sentinel import Sentinel

from .sentinel import RedisSentinelCluster, wait_until
from .services import require_binary


@pytest.mark.redis
@pytest.mark.slow
def test_sentinels_promote_the_replica_when_the_primary_dies(tmp_path, capsys):
    server = require_binary("redis-server")
    with RedisSentinelCluster(tmp_path, password="harness-pw", redis_server=server) as cluster:
        # The client the app would use: it asks the Sentinels where the primary is.
        sentinel = Sentinel(cluster.sentinels, socket_timeout=1, password="harness-pw")
        primary = sentinel.master_for(cluster.master_name, socket_timeout=1)
        primary.set("harness:k", "before")
        replica = cluster.client(cluster.replica_port)
        wait_until(lambda: replica.get("harness:k") == b"before", 10, "replication")

        cluster.kill_primary()
        seconds = cluster.wait_for_failover()
        with capsys.disabled():
            print(f"\nSentinel failover (down-after 1000 ms): {seconds:.2f} s")

        assert sentinel.discover_master(cluster.master_name)[1] == cluster.replica_port
        assert primary.get("harness:k") == b"before"  # the same client follows the move
        primary.set("harness:k", "after")
        assert replica.get("harness:k") == b"after"

        # The old primary comes back as a replica of the new one, not as a second primary.
        cluster.restart_old_primary()
        demotion = cluster.wait_for_demotion()
        with capsys.disabled():
            print(f"Demotion of the returning primary: {demotion:.2f} s")
        old = cluster.client(cluster.primary_port)
        wait_until(lambda: old.get("harness:k") == b"after", 15, "the old primary to resync")
