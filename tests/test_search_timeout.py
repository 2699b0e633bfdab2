"""A search that runs past BLOGSITE_SEARCH_TIMEOUT_MS is cut short: a friendly page, never a 500.

A phrase whose words are in every blog but never side by side (``"blog bulk"`` over the
bulk demo blogs, titled "Bulk blog ...") makes either database check every blog. The test
first shows that premise (without a limit its statement runs ten times the limit), so a
page that says "too long" cannot pass by accident.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from sqlalchemy import event, func, select

from blogsite import search
from blogsite.extensions import db
from blogsite.models import Blog

SLOW = '"blog bulk"'  # both words in every bulk blog, never in this order
CHEAP = "nowhere"
LIMIT_MS = 1
TOO_SLOW = "This search took too long; try fewer or more specific words."


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {
        "THROTTLE_RATES": {"search": "1000/minute"},
        "CACHE_ENABLED": False,  # every request runs the search
        "SEARCH_TIMEOUT_MS": LIMIT_MS,
    }


def longest_statement(app: Any, terms: str) -> float:
    """Return the longest statement of a search run with no limit, in ms (fastest of three)."""
    starts: list[float] = []
    durations: list[float] = []

    def before(*_: Any) -> None:
        starts.append(time.perf_counter())

    def after(*_: Any) -> None:
        durations.append((time.perf_counter() - starts.pop()) * 1000)

    app.config["SEARCH_TIMEOUT_MS"] = 0
    with app.test_request_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            runs = []
            for _ in range(3):
                durations.clear()
                assert search.run(search.parse(terms), 1, 10).matches == 0
                runs.append(max(durations))
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
            app.config["SEARCH_TIMEOUT_MS"] = LIMIT_MS
            db.session.remove()
    return min(runs)


def test_search_timeout_ms_cuts_a_slow_search_short(app, client, caplog):
    # SQLite checks the phrase in every blog much more slowly: fewer blogs make it as slow.
    per_author = 250 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else 2000
    result = app.test_cli_runner().invoke(args=["seed", "--authors", "4",
                                                "--blogs-per-author", str(per_author)])  # fmt: skip
    assert result.exit_code == 0, result.output
    # The premise: without a limit, the search's statement runs for ten times the limit.
    assert longest_statement(app, SLOW) >= 10 * LIMIT_MS  # measured: 18 ms PG, 190 ms SQLite
    caplog.set_level(logging.INFO, "blogsite.events")

    response = client.get("/search", query_string={"q": SLOW})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert TOO_SLOW in page
    events = [r for r in caplog.records if getattr(r, "ev", None) == "search_timeout"]
    assert len(events) == 1
    assert events[0].levelname == "WARNING"
    assert events[0].data == {"length": len(search.parse(SLOW).canonical()), "terms": 1,
                              "words": 2, "limit_ms": LIMIT_MS}  # fmt: skip
    assert "bulk" not in events[0].getMessage() + repr(events[0].data)

    # After the cancel the session is rolled back: the request can go on reading (PostgreSQL
    # refuses every statement of a transaction that had one cancelled).
    with app.test_request_context():
        with pytest.raises(search.SearchTimeoutError):
            search.run(search.parse(SLOW), 1, 10)
        blogs = db.session.scalar(select(func.count()).select_from(Blog))
        assert blogs == 4 * per_author + 2  # and the two demo blogs
        db.session.remove()
    # The same worker's connection serves the next request, and a cheap search still answers.
    assert client.get("/").status_code == 200
    app.config["SEARCH_TIMEOUT_MS"] = 10_000
    fast = client.get("/search", query_string={"q": CHEAP})
    assert fast.status_code == 200 and TOO_SLOW not in fast.get_data(as_text=True)
    assert "No published blog matches your search." in fast.get_data(as_text=True)
