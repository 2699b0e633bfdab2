"""The HTTP log collector sits behind a queue: slow, hung or refusing, it never slows a page."""

from __future__ import annotations

import time
from typing import Any

from blogsite import create_app
from blogsite.logs import log_event
from blogsite.logs.config import configure_logging

from .logtools import Collector, free_port, wait_for

REQUESTS = 15


def timed_requests(app: Any, n: int = REQUESTS) -> list[float]:
    """Serve ``n`` requests and return how long each took."""
    client = app.test_client()
    durations = []
    for i in range(n):
        started = time.perf_counter()
        response = client.get("/healthz", headers={"X-Request-ID": f"http-{i}"})
        durations.append(time.perf_counter() - started)
        assert response.status_code == 200
    return durations


def test_records_reach_the_collector_as_redacted_json(sqlite_config: dict[str, Any]) -> None:
    with Collector() as collector:
        app = create_app({**sqlite_config, "LOG_HTTP_URL": collector.url()})
        timed_requests(app, 3)
        log_event("shipped", {"email": "jo@example.com", "note": "call 090-1111-2222"})
        assert wait_for(lambda: len(collector.records()) >= 4)
        records = collector.records()
        access = [r for r in records if r.get("logger") == "blogsite.access"]
        assert [r["txid"] for r in access] == ["http-0", "http-1", "http-2"]
        [event] = [r for r in records if r.get("ev") == "shipped"]
        assert event["data"] == {"email": "[REDACTED]", "note": "call [PHONE]"}
        assert all(h["Content-Type"] == "application/json" for h in collector.headers)
        configure_logging()  # close the handler while its collector still listens


def test_a_hung_collector_never_slows_a_request(sqlite_config: dict[str, Any]) -> None:
    with Collector(mode="hang") as collector:
        app = create_app({**sqlite_config, "LOG_HTTP_URL": collector.url()})
        durations = timed_requests(app)
        # The bound: no request slower than 1 s while the collector hangs.
        assert max(durations) < 1.0, durations
        assert collector.bodies == []  # still hanging: nothing was delivered yet
        collector.release.set()  # it recovers: the queued records arrive
        assert wait_for(lambda: len(collector.records()) >= REQUESTS, timeout=20)
        txids = {r.get("txid") for r in collector.records()}
        assert {f"http-{i}" for i in range(REQUESTS)} <= txids
        configure_logging()


def test_a_refusing_collector_is_reported_not_raised(
    sqlite_config: dict[str, Any], capsys: Any
) -> None:
    app = create_app({**sqlite_config, "LOG_HTTP_URL": f"http://127.0.0.1:{free_port()}/logs"})
    durations = timed_requests(app)
    assert max(durations) < 1.0, durations
    # Reported on stderr, once (then at most once a minute), not once per record.
    assert wait_for(lambda: "cannot deliver log records" in capsys.readouterr().err)
    time.sleep(0.3)
    assert "cannot deliver log records" not in capsys.readouterr().err
    configure_logging()


def test_a_failing_collector_is_reported(sqlite_config: dict[str, Any], capsys: Any) -> None:
    with Collector(mode="error") as collector:
        app = create_app({**sqlite_config, "LOG_HTTP_URL": collector.url()})
        timed_requests(app, 2)
        assert wait_for(lambda: len(collector.bodies) >= 2)
        assert wait_for(lambda: "answered HTTP 500" in capsys.readouterr().err)
        configure_logging()


def test_a_forked_worker_still_ships_its_records(sqlite_config: dict[str, Any]) -> None:
    import logging
    import os

    with Collector() as collector:
        create_app({**sqlite_config, "LOG_HTTP_URL": collector.url()})
        pid = os.fork()  # what gunicorn does after the master configured logging
        if pid == 0:  # the child: log, flush the queue on shutdown, leave without pytest
            try:
                log_event("from_child", {"pid": os.getpid()})
                logging.shutdown()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert wait_for(lambda: any(r.get("ev") == "from_child" for r in collector.records()))
        configure_logging()
