"""What logging costs a request: /healthz with no access records, to a file, and to a hung
collector. Prints requests per second (best of 5 interleaved rounds) and the ratio to the quiet run.

    .venv/bin/python bench/bench_logging.py [requests]
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blogsite import create_app
from blogsite.logs import log_event
from blogsite.logs.config import configure_logging


def per_second(client: Any, n: int) -> float:
    """Serve ``n`` requests to /healthz through the test client; return requests/s."""
    started = time.perf_counter()
    for _ in range(n):
        client.get("/healthz?page=1")
    return n / (time.perf_counter() - started)


def best_rates(runs: dict[str, dict[str, Any]], n: int, rounds: int = 5) -> dict[str, float]:
    """Interleave the runs in rounds and keep each one's best: the machine is shared."""
    best = dict.fromkeys(runs, 0.0)
    for _ in range(rounds):
        for name, config in runs.items():
            # Each app reconfigures logging, so build it right before its round.
            client = create_app(config).test_client()
            per_second(client, 50)
            best[name] = max(best[name], per_second(client, n // rounds))
    return best


def events_per_second(n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        log_event("bench", {"author_id": i, "email": "a@example.com", "tags": ["x", "y"]})
    return n / (time.perf_counter() - started)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    folder = Path(tempfile.mkdtemp())
    base = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
    }
    hung = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    hung_url = f"http://127.0.0.1:{hung.getsockname()[1]}/logs"
    runs = {
        "quiet (WARNING: no access records)": {**base, "LOG_LEVEL": "WARNING"},
        "INFO to stdout": base,
        "INFO to stdout and a file": {**base, "LOG_FILE": str(folder / "site.log")},
        "INFO, plus a hung HTTP collector": {**base, "LOG_HTTP_URL": hung_url},
    }
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115
    try:
        results = best_rates(runs, n)
        configure_logging("INFO", str(folder / "events.log"))
        events = events_per_second(n)
    finally:
        sys.stdout.close()
        sys.stdout = stdout
        configure_logging("WARNING")
    quiet = next(iter(results.values()))
    print(f"{'run':40} {'req/s':>8} {'ratio':>6}")
    for name, rate in results.items():
        print(f"{name:40} {rate:8.0f} {rate / quiet:6.2f}")
    print(f"{'log_event (redacted JSON to stdout+file)':40} {events:8.0f}")


if __name__ == "__main__":
    main()
