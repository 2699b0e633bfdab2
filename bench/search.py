"""Search benchmark: p95 of uncached searches over 100,000 blogs on PostgreSQL.

Usage: .venv/bin/python bench/search.py [--rounds 3] [--keep]

Builds the site as ``bench/scale.py`` does (migrations, ``flask seed --authors 100
--blogs-per-author 1000``, ``VACUUM ANALYZE``) on BENCH_DATABASE_URL, in a database of its
own. Every seeded blog holds the same body, so a body word matches all 100,000 of them:
the mix below has such words, a tag on one blog in ten, exact titles, phrases, ``or``,
``-excluded`` and words found nowhere, on pages 1 to 3. Each search is timed twice, with
caching off: the engine alone (``search.run`` and the cards' query) and the whole page
through the test client. Prints p50/p95/max per kind and overall, and the GIN index size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import base_url, make_site

from blogsite.blog.search import search_results
from blogsite.extensions import db
from blogsite.search import SearchTimeoutError, parse

AUTHORS, PER_AUTHOR = 100, 1000


def queries(rng: random.Random) -> list[tuple[str, str, int]]:
    """Return (kind, query, page) for one round: 12 kinds, 8 each."""
    kinds = {
        "every blog, body word": lambda: rng.choice(["content", "demo", "one two"]),
        "every blog, title word": lambda: "bulk blog",
        "1 in 10, tag": lambda: f"topic-{rng.randrange(10)}",
        "9 in 10, -tag": lambda: f"content -topic-{rng.randrange(10)}",
        "exact title, phrase": lambda: (
            f'"bulk blog {rng.randrange(1, 101)}-{rng.randrange(1, 1001)}"'
        ),
        "title words": lambda: f"bulk {rng.randrange(1, 101)}-{rng.randrange(1, 1001)}",
        "2 blogs, demo tag": lambda: rng.choice(["tag1", "tag2", "first or updated"]),
        "or of two tags": lambda: f"topic-{rng.randrange(10)} or topic-{rng.randrange(10)}",
        "nowhere": lambda: rng.choice(["zebra", "quantum entanglement", '"blog bulk"']),
        "common or rare": lambda: "zebra or content",
        "stop words only": lambda: "the of a",
        "deep page": lambda: "content",
    }
    mix = []
    for kind, make in kinds.items():
        for _ in range(8):
            page = rng.randrange(2, 4) if kind == "deep page" else rng.randrange(1, 3)
            mix.append((kind, make(), page))
    rng.shuffle(mix)
    return mix


def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--blogs-per-author", type=int, default=PER_AUTHOR, help="(smoke runs)")
    options = parser.parse_args()
    admin = create_engine(base_url(), isolation_level="AUTOCOMMIT")
    name = f"blogsite_search_{AUTHORS * options.blogs_per_author}"
    try:
        app = make_site(admin, name, AUTHORS, options.blogs_per_author, options.keep)
        client, size = app.test_client(), int(app.config["BLOGS_PER_PAGE"])
        engine_ms: dict[str, list[float]] = {}
        page_ms: dict[str, list[float]] = {}
        timeouts: dict[str, int] = {}
        rng = random.Random(16)
        for round_ in range(options.rounds + 1):  # round 0 warms the buffers up
            for kind, q, page in queries(rng):
                canonical = parse(q).canonical()
                with app.app_context():
                    started = time.perf_counter()
                    try:
                        search_results.uncached(canonical, page, size)
                    except SearchTimeoutError:  # cut at BLOGSITE_SEARCH_TIMEOUT_MS
                        timeouts[kind] = timeouts.get(kind, 0) + (round_ > 0)
                    spent = (time.perf_counter() - started) * 1000
                    db.session.remove()
                started = time.perf_counter()
                response = client.get("/search", query_string={"q": q, "page": page})
                whole = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (q, response.status_code)
                if round_:
                    engine_ms.setdefault(kind, []).append(spent)
                    page_ms.setdefault(kind, []).append(whole)
        with app.app_context(), db.engine.connect() as conn:
            sizes = conn.execute(
                text(
                    "SELECT pg_relation_size('ix_blog_search_document'),"
                    " pg_total_relation_size('blog_search'), (SELECT count(*) FROM blog_search)"
                )
            ).one()
            db.engine.dispose()
    finally:
        if not options.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    report(engine_ms, page_ms, sizes)
    print(f"searches cut short by the statement timeout: {timeouts or 'none'}")


def report(engine_ms: dict[str, list[float]], page_ms: dict[str, list[float]], sizes: Any) -> None:
    print("| search (uncached, ms) | engine p50 | engine p95 | page p50 | page p95 | page max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = [*engine_ms, "all"]
    for kind in rows:
        e = [v for k in engine_ms for v in engine_ms[k]] if kind == "all" else engine_ms[kind]
        w = [v for k in page_ms for v in page_ms[k]] if kind == "all" else page_ms[kind]
        name = f"**all ({len(w)} searches)**" if kind == "all" else kind
        print(
            f"| {name} | {statistics.median(e):.1f} | {p(e, 0.95):.1f} |"
            f" {statistics.median(w):.1f} | {p(w, 0.95):.1f} | {max(w):.1f} |"
        )
    gin, table, count = sizes
    print(f"\nGIN index: {gin / 2**20:.1f} MiB; blog_search with it: {table / 2**20:.1f} MiB;")
    print(f"{count} blogs indexed.")


if __name__ == "__main__":
    main()
