"""Instructions per request of each page against the bare route, under callgrind.

Usage: .venv/bin/python bench/instructions.py [--requests 30] [--keep DBNAME] [--only A;B]

The scenarios of ``inprocess.py`` (the test client, PostgreSQL, the shared Redis), counted
in instructions executed by this process: a count does not depend on what else the machine
is doing, so it compares code before and after a change on a busy machine, where timings
swing by half. PostgreSQL's and Redis's own work is not counted, and neither are waits: for
pages that query the database, read it next to ``inprocess.py``'s timings.

It re-runs itself under ``valgrind --tool=callgrind`` with instrumentation off until the
apps are built and warm, then counts each scenario alone (a tiny C helper, compiled with
gcc against valgrind's ``callgrind.h``, switches the counting on and off).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HELPER = """#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""


def outer(options: argparse.Namespace, argv: list[str]) -> None:
    """Build the helper, run this script under callgrind, print the table."""
    work = Path(tempfile.mkdtemp(prefix="blogsite-callgrind-"))
    (work / "cg.c").write_text(HELPER)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(work / "libcg.so"),
                    str(work / "cg.c")], check=True)  # fmt: skip
    env = os.environ | {"BENCH_CALLGRIND_HELPER": str(work / "libcg.so")}
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no",
         f"--callgrind-out-file={work}/cg.out.%p", sys.executable, __file__, *argv],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    counts: dict[str, float] = {}
    for path in sorted(work.glob("cg.out.*")):
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and total and trigger[1].startswith("scenario "):
            counts[trigger[1][len("scenario ") :]] = int(total[1]) / options.requests
    bare = counts.get("bare")
    print(f"\n{options.requests} requests per scenario, instructions per request (callgrind)\n")
    print("| scenario | instructions per request | ratio to bare |")
    print("| --- | ---: | ---: |")
    for label, count in counts.items():
        ratio = f"{bare / count:.2f}" if bare else "n/a"
        print(f"| {label} | {count / 1e6:.2f} M | {ratio} |")


def inner(options: argparse.Namespace) -> None:
    """Under callgrind: build the apps and clients, warm them, count each scenario."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import inprocess

    helper = ctypes.CDLL(os.environ["BENCH_CALLGRIND_HELPER"])
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("BLOGSITE_LOG_LEVEL", "WARNING")
    url, drop = inprocess.database(options.keep)
    try:
        scenarios = inprocess.build_scenarios(url, options.only)
        for _label, client, path in scenarios:
            for _ in range(10):
                assert client.get(path).status_code == 200, path
        helper.cg_start()
        for label, client, path in scenarios:
            gc.collect()  # a collection the scenario before made due is not this one's cost
            helper.cg_zero()
            for _ in range(options.requests):
                client.get(path)
            helper.cg_dump(f"scenario {label}".encode())
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", default=None, help="a database name to create once and reuse")
    parser.add_argument("--only", default="", help="scenario labels separated by ';'")
    options = parser.parse_args()
    if "BENCH_CALLGRIND_HELPER" in os.environ:
        inner(options)
    else:
        outer(options, sys.argv[1:])


if __name__ == "__main__":
    main()
