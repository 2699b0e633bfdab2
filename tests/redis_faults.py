"""Redis faults for tests: a port whose connects hang, and a proxy that drops or stalls."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def blackhole() -> Iterator[int]:
    """Yield a local port whose TCP connects hang: its listen backlog is full, SYNs are dropped."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):  # never accepted: they fill the queue
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for sock in (*fillers, server):
            sock.close()


class FaultyProxy:
    """Forward to a Redis port, with faults on demand.

    ``drops``: hang up on that many of the next calls carrying ``marker``; ``seen`` counts
    every call that carried it, dropped or not (the attempts a client made).
    ``stall_watchers``: connections that turned on CLIENT TRACKING (the generation
    watcher's) hear nothing more, pushes and pongs alike, while the others work.
    """

    def __init__(self, upstream_port: int, marker: bytes = b"\0") -> None:
        self.upstream_port, self.marker = upstream_port, marker
        self.drops = self.seen = 0
        self.stall_watchers = False
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            state = {"watcher": False}
            for source, sink, outbound in ((client, upstream, True), (upstream, client, False)):
                args = (source, sink, outbound, state)
                threading.Thread(target=self._pipe, args=args, daemon=True).start()

    def _pipe(
        self, source: socket.socket, sink: socket.socket, outbound: bool, state: dict
    ) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if outbound and b"TRACKING" in data:
                    state["watcher"] = True
                if state["watcher"] and self.stall_watchers:
                    continue  # lost on the way, as on a broken network path
                if outbound and self.marker in data and self._drop():
                    break
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _drop(self) -> bool:
        """Count a marked call; return whether to hang up on it."""
        with self._lock:
            self.seen += 1
            if self.drops:
                self.drops -= 1
                return True
            return False
