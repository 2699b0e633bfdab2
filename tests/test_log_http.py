"""The HTTP log collector sits behind a queue: slow, hung or refusing, it never slows a page."""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from blogsite import create_app
from blogsite.logs import log_event
from blogsite.logs.config import configure_logging
from blogsite.logs.context import ContextFilter
from blogsite.logs.filters import JsonFormatter, RedactionFilter
from blogsite.logs.handlers import SHIPPING_LOGGER, http_queue_handler

from .logtools import BackgroundServer, Collector, free_port, parse_lines, wait_for

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


class KeepAliveCollector(BackgroundServer):
    """An HTTP/1.1 collector like real ones: it keeps connections alive, closes them after
    ``idle`` seconds without a request, and can reset a request or hold it."""

    def __init__(
        self, idle: float = 0.2, reset_when: Callable[[bytes], bool] = lambda body: False
    ) -> None:
        self.records: list[dict[str, Any]] = []
        self.resets = 0
        self.reset_when = reset_when
        self.held = threading.Event()  # set while a request waits for ``release``
        self.release = threading.Event()
        self.release.set()
        self.connections = 0
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle  # an idle keep-alive connection is closed after this

            def setup(self) -> None:
                super().setup()
                collector.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not collector.resets and collector.reset_when(body):
                    collector.resets += 1
                    # SO_LINGER 0: close() sends a RST, the client sees ECONNRESET.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    self.connection.close()
                    return
                collector.held.set()
                collector.release.wait(30)
                collector.records.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.serve(Handler)

    def seqs(self, ev: str) -> Counter[int]:
        return Counter(r["data"]["seq"] for r in list(self.records) if r.get("ev") == ev)


def test_a_reset_and_idle_closed_connections_lose_nothing(
    sqlite_config: dict[str, Any], capsys: Any
) -> None:
    first_shipped = lambda body: b'"ev": "shipped"' in body  # noqa: E731
    with KeepAliveCollector(idle=0.2, reset_when=first_shipped) as collector:
        create_app({**sqlite_config, "LOG_HTTP_URL": collector.url()})
        for seq in range(30):
            log_event("shipped", {"seq": seq})
            if seq % 10 == 9:  # let the collector close the idle connection
                time.sleep(0.5)
        assert wait_for(lambda: sum(collector.seqs("shipped").values()) >= 30)
        time.sleep(0.3)  # a duplicate would arrive now
        assert collector.resets == 1
        assert collector.seqs("shipped") == Counter(range(30))  # each exactly once
        assert collector.connections >= 4  # a new connection after the reset and each idle close
        configure_logging()
    assert "cannot deliver" not in capsys.readouterr().err


def test_a_full_queue_counts_drops_and_warns_once(
    sqlite_config: dict[str, Any], capsys: Any
) -> None:
    create_app(sqlite_config)  # the site's stdout handler, where the warning goes
    root = logging.getLogger()
    with KeepAliveCollector(idle=5) as collector:
        handler = http_queue_handler(collector.url(), queue_size=20)
        handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
        handler.addFilter(ContextFilter())
        handler.addFilter(RedactionFilter())
        root.addHandler(handler)  # like the site's: the warning passes by it too
        try:
            collector.release.clear()
            log_event("queued", {"seq": 0})
            assert collector.held.wait(10)  # the shipping thread is stuck on record 0
            for seq in range(1, 36):  # 20 fit in the queue, 15 are dropped
                log_event("queued", {"seq": seq})
            assert handler.dropped == 15
            collector.release.set()
            assert wait_for(lambda: sum(collector.seqs("queued").values()) >= 21)
            for seq in range(100, 105):  # the queue takes records again: one warning
                log_event("queued", {"seq": seq})
            assert wait_for(lambda: sum(collector.seqs("queued").values()) >= 26)
        finally:
            root.removeHandler(handler)
            handler.close()
    assert collector.seqs("queued") == Counter([*range(21), *range(100, 105)])
    assert handler.dropped == 15
    records = parse_lines(capsys.readouterr().out)
    warnings = [r for r in records if r["logger"] == SHIPPING_LOGGER]
    assert len(warnings) == 1 and warnings[0]["dropped"] == 15, warnings
    assert warnings[0]["level"] == "WARNING"
    # The warning never went to the collector whose queue it reports on.
    assert not [r for r in collector.records if r.get("logger") == SHIPPING_LOGGER]
