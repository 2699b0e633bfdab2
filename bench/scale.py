"""Scale benchmark: the same cold pages at 1,000 and at 100,000 blogs, in-process.

Usage: .venv/bin/python bench/scale.py [--runs 7] [--keep]

For each size it creates a PostgreSQL database on BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), builds the schema with the migrations,
seeds it like ``flask seed --authors A --blogs-per-author B`` and runs ``VACUUM ANALYZE``
(as autovacuum would soon after). Then it times each page through the test client with
caching off (every read from PostgreSQL): one warm-up, then the median of ``--runs``
rounds that interleave sizes and pages. It
prints a Markdown table with the ratio of the large site to the small one. The databases
are dropped at the end unless ``--keep`` (a second run with ``--keep`` reuses them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.engine import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BLOGSITE_LOG_LEVEL", "WARNING")

from blogsite import create_app
from blogsite.commands import seed_bulk, seed_demo
from blogsite.extensions import db
from blogsite.models import Author, Blog

SIZES = {"1,000": (10, 100), "100,000": (100, 1000)}  # authors, blogs per author


def base_url() -> URL:
    url = make_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


def make_site(admin: Any, name: str, authors: int, per_author: int, keep: bool) -> Any:
    """Return an app on database ``name``, creating and seeding it unless kept from before."""
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and not keep:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or not keep:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base_url().set(database=name).render_as_string(hide_password=False)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "CACHE_ENABLED": False, "SECRET_KEY": "bench",
         "SITE_URL": "https://blog.example", "RATELIMIT_ENABLED": False}
    )  # fmt: skip
    with app.app_context():
        from flask_migrate import upgrade

        # A kept database is brought up to the newest schema too (a no-op when it is).
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        if not (exists and keep):
            started = time.perf_counter()
            seed_demo()
            seed_bulk(authors, per_author)
            print(f"seeded {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        # After seeding or a migration's backfill, as autovacuum would soon do: without it
        # index-only scans visit the heap for every row the backfill rewrote.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return app


def pages(app: Any) -> dict[str, str]:
    """Return the pages to time on this site, by row name."""
    per_page = int(app.config["BLOGS_PER_PAGE"])
    with app.app_context():
        published = db.session.scalar(select(func.count()).select_from(Blog)) or 0
        author = db.session.scalar(select(func.max(Author.id)))
        slug = db.session.scalar(select(Blog.slug).order_by(Blog.id.desc()).limit(1))
        mine = db.session.scalar(select(func.count()).where(Blog.author_id == author)) or 0
        last = -(-published // per_page)
        # The Older link of the page before the last carries the id of its last blog.
        newest_first = select(Blog.id).order_by(Blog.created_at.desc(), Blog.id.desc())
        anchor = db.session.scalar(newest_first.offset((last - 1) * per_page - 1).limit(1))
    return {
        "`/`": "/",
        "`/?page=N` (the last page, an old link)": f"/?page={last}",
        AFTER_WRITE: f"/?page={last}",
        "`/?page=N&after=<id>` (the last, by its Older link)": f"/?page={last}&after={anchor}",
        "`/author/<id>/`": f"/author/{author}/",
        "`/author/<id>/?page=N` (the last)": f"/author/{author}/?page={-(-mine // per_page)}",
        "`/tag/tag1/` (2 blogs)": "/tag/tag1/",
        "`/tag/topic-1/` (1 blog in 10)": "/tag/topic-1/",
        "`/sitemap.xml` (index or whole)": "/sitemap.xml",
        "`/sitemap-1.xml` (50,000 URLs)": "/sitemap-1.xml",
        "a blog page": f"/blog/{slug}/",
    }


# Timed right after a write (not timed itself): the page's marks count no more, so this
# request computes them again in one scan of the listing (blog/page_marks.py).
AFTER_WRITE = "`/?page=N` (the last, right after a write)"


def write(app: Any) -> None:
    """Unpublish blog 1 and publish it again (two commits): the site is as it was, but
    every listing's marks are of an old version."""
    with app.app_context():
        for status in ("draft", "published"):
            db.session.execute(text("UPDATE blogs SET status = :s WHERE id = 1"), {"s": status})
            db.session.commit()


def timed(get: Callable[[], Any]) -> float:
    """Return the time in ms of one call of ``get``."""
    started = time.perf_counter()
    get()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the databases")
    options = parser.parse_args()
    admin = create_engine(base_url(), isolation_level="AUTOCOMMIT")
    results: dict[str, dict[str, str]] = {}
    names, clients, paths = [], {}, {}
    try:
        for size, (authors, per_author) in SIZES.items():
            name = f"blogsite_scale_{authors * per_author}"
            names.append(name)
            app = make_site(admin, name, authors, per_author, options.keep)
            clients[size], paths[size] = app.test_client(), pages(app)
            for row, path in paths[size].items():
                if row == AFTER_WRITE:
                    write(app)
                status = clients[size].get(path).status_code  # also the warm-up
                assert status in (200, 404), (path, status)
                results.setdefault(row, {})[size] = "n/a" if status == 404 else ""
        # Rounds interleave the sizes and pages, so a busy moment of the machine lands on
        # every cell alike rather than on one size; each cell is the median of its rounds.
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(options.runs):
            for row in results:
                for size, client in clients.items():
                    if results[row][size] == "n/a":
                        continue
                    path = paths[size][row]
                    if row == AFTER_WRITE:
                        write(client.application)
                    ms = timed(lambda path=path, client=client: client.get(path).get_data())
                    times.setdefault((row, size), []).append(ms)
        for (row, size), values in times.items():
            results[row][size] = f"{statistics.median(values):.1f}"
    finally:
        if not options.keep:
            with admin.connect() as conn:
                for name in names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    small, large = SIZES
    print(f"| page (cold, ms) | {small} blogs | {large} blogs | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for row, cells in results.items():
        a, b = cells.get(small, "n/a"), cells.get(large, "n/a")
        ratio = f"{float(b) / float(a):.2f}" if "n/a" not in (a, b) else "n/a"
        print(f"| {row} | {a} | {b} | {ratio} |")


if __name__ == "__main__":
    main()
