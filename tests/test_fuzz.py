"""Fuzz every route of a real gunicorn on PostgreSQL and Redis: no 5xx, no traceback logged."""

from __future__ import annotations

import os
import secrets
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from blogsite import create_app
from blogsite.commands import seed_demo
from blogsite.extensions import db
from blogsite.models import Blog, CoverImage, Tag
from blogsite.users import create_user

from .fuzz_cases import Site, build_cases, protocol_requests, routes_of
from .fuzz_http import (
    NO_ANSWER,
    Answer,
    Browser,
    Case,
    parse_forms,
    request_bytes,
    send,
    tracebacks,
)
from .servers import Gunicorn
from .services import require_redis, throwaway_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SEED = 12345
PASSWORD = "fuzzing is fun 4 all"
PHONES = {"user": "+819011112222", "admin": "+819033334444", "victim": "+819055556666"}
# Every throttle far above this run, so that the requests reach the views.
RATES = (
    '{"anon": "100000/hour", "user": "100000/hour", "blog_limit": "100000/hour", '
    '"login": "100000/hour", "login_phone": "100000/hour", "register": "100000/hour"}'
)
# The original's pages that take a required ?author_id=.
NEEDS_AUTHOR = {"/blog/blogs_auto_invalidation/", "/blog/blogs_logs/"}


def seed(url: str) -> tuple[Any, Site]:
    """Build the schema, the demo data, a user, a superuser and rows the fuzz may spoil."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        seed_demo()
        user = create_user(PHONES["user"], PASSWORD, name="Fuzz User")
        admin = create_user(PHONES["admin"], PASSWORD, name="Fuzz Admin", is_superuser=True)
        victim = create_user(PHONES["victim"], PASSWORD, name="Victim")
        tags = list(db.session.scalars(select(Tag)))
        spare_tag = Tag(name="spare", slug="spare")
        cover = CoverImage(image_link="https://example.com/cover.png")
        blog = Blog(title="Victim blog", slug="victim-blog", content="text", author=user.author,
                    tags=tags, cover_image=cover)  # fmt: skip
        db.session.add_all([spare_tag, blog])
        db.session.commit()
        first = db.session.scalar(select(Blog).where(Blog.slug == "first-blog-title"))
        assert first is not None and admin.id
        site = Site(
            blog_slug=first.slug, victim_slug=blog.slug, tag_slug=tags[0].slug,
            ids={"blogs": first.id, "authors": first.author_id, "tags": tags[0].id,
                 "cover-images": first.cover_image_id or 1, "users": user.id, "audit": 1},
            victim_ids={"blogs": blog.id, "authors": victim.author.id, "tags": spare_tag.id,
                        "cover-images": cover.id, "users": victim.id, "audit": 1},
            author_id=first.author_id, user_id=victim.id,
        )  # fmt: skip
        db.engine.dispose()
    return app, site


def explore(browser: Browser, site: Site, app: Any) -> list[tuple[Case, Answer]]:
    """GET every page with real values as the superuser; learn each form's fields."""
    results = []
    for route in routes_of(app):
        if "GET" not in route.methods:
            continue
        target = site.path(route)
        if route.rule in NEEDS_AUTHOR:
            target += b"?author_id=%d" % site.author_id
        answer = browser.request("GET", target.decode())
        results.append((Case("valid", "GET", target, "admin"), answer))
        forms = parse_forms(answer.body.decode("utf-8", "replace")).forms
        for action, names in forms.items():
            site.forms.setdefault(action or target.split(b"?")[0].decode(), set()).update(names)
    return results


def report(results: list[tuple[Case, Answer]]) -> str:
    """Count the requests per class and per status."""
    table: dict[str, Counter[int]] = defaultdict(Counter)
    for case, answer in results:
        table[case.kind][answer.status] += 1
    lines = [f"{'class':24} {'requests':>8}  statuses (0: closed without an answer)"]
    for kind in sorted(table):
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(table[kind].items()))
        lines.append(f"{kind:24} {sum(table[kind].values()):8}  {statuses}")
    lines.append(f"{'total':24} {len(results):8}")
    return "\n".join(lines)


def failures(results: list[tuple[Case, Answer]], log_text: str) -> list[str]:
    """List each 5xx under its cause (the logged exceptions), then tracebacks without one."""
    logged = tracebacks(log_text)
    by_txid = {entry["txid"]: entry for entry in logged if entry["txid"]}
    causes: dict[str, list[str]] = defaultdict(list)
    for case, answer in results:
        if answer.status >= 500:
            entry = by_txid.pop(answer.headers.get("X-Request-ID"), None)
            cause = entry["exception"] if entry else "(no traceback logged)"
            kinds = " -> ".join(part.split(":", 1)[0] for part in cause.split(" -> "))
            causes[kinds].append(f"{answer.status} {case.describe()}  [{cause}]")
    lines = []
    for cause, requests in sorted(causes.items(), key=lambda item: -len(item[1])):
        lines += [f"{len(requests)} x 5xx caused by {cause}:", *(f"    {r}" for r in requests)]
    unmatched = [e for e in logged if e["txid"] in by_txid or not e["txid"]]
    lines += [
        f"traceback logged for {e['path']}: {e['message']!r}: {e['exception']}" for e in unmatched
    ]
    return lines


@pytest.fixture
def fuzz_server(tmp_path: Path) -> Any:
    """A gunicorn with the shipped settings on a seeded PostgreSQL database, and Redis."""
    redis_url = require_redis()
    with throwaway_postgres("fuzz") as url:
        app, site = seed(url)
        env = {
            "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": secrets.token_hex(32),
            "BLOGSITE_ALLOWED_HOSTS": "127.0.0.1,localhost", "BLOGSITE_THROTTLE_RATES": RATES,
            "GUNICORN_THREADS": "4", "GUNICORN_TIMEOUT": "60",
        }  # fmt: skip
        log = tmp_path / "gunicorn.log"
        server = Gunicorn(env, workers=2, config=True, log=log)
        try:
            yield server, app, site, log
        finally:
            server.stop()


def test_fuzz_every_route_answers_without_5xx_or_traceback(fuzz_server: Any) -> None:
    server, app, site, log = fuzz_server
    started = time.monotonic()
    port = server.port
    browsers = {who: Browser(port) for who in ("anon", "user", "admin")}
    login_page = browsers["anon"].request("GET", "/auth/login")  # a session with a CSRF token
    site.tokens["anon"] = parse_forms(login_page.body.decode()).csrf.encode()
    for who in ("user", "admin"):
        site.tokens[who] = browsers[who].log_in(PHONES[who], PASSWORD).encode()
    assert browsers["admin"].request("GET", "/admin/").status == 200
    assert browsers["user"].request("GET", "/admin/").status == 403

    results = explore(browsers["admin"], site, app)
    cookies = {who: browser.cookie() for who, browser in browsers.items()} | {"none": b""}
    for case in build_cases(routes_of(app), site, port, SEED):
        raw = request_bytes(case, port, cookies[case.who])
        results.append((case, send(port, raw, case.method)))
    for raw in protocol_requests(port):
        case = Case("protocol", raw.split(b" ", 1)[0].decode("latin-1"), raw[:120], "none")
        results.append((case, send(port, raw, "GET")))
    # Still logged in: no fuzzed request ended a session it should not have.
    still_in = browsers["admin"].request("GET", "/admin/").status
    elapsed = time.monotonic() - started
    server.stop()

    if os.environ.get("FUZZ_DUMP"):  # every request and its status, to study a run
        with open(os.environ["FUZZ_DUMP"], "w") as dump:
            dump.writelines(f"{a.status} {c.describe()}\n" for c, a in results)
    summary = report(results)
    print(f"\nFuzz run, seed {SEED}: {len(results)} requests in {elapsed:.1f} s\n{summary}")
    # A server may refuse a body (413) and hang up while it is still arriving: the reset
    # can then swallow its answer. Other requests, unless they break HTTP itself, get one.
    unanswered = [(c, a) for c, a in results if a.status == NO_ANSWER]
    print("Closed without an answer:", *(c.describe() for c, _ in unanswered), sep="\n    ")
    problems = failures(results, log.read_text(encoding="utf-8", errors="replace"))
    if problems:
        pytest.fail(
            "\n".join(["5xx answers and logged tracebacks:", *problems, summary]), pytrace=False
        )
    assert not [c.describe() for c, _ in unanswered if not c.body and c.kind != "protocol"]
    assert still_in == 200
    assert len(results) >= 400
