"""The console's home is a dashboard: counts, blogs per day, cache and 429 figures, audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from blogsite.extensions import db
from blogsite.models import Blog

from .conftest import STAFF_PHONE, admin_login


class Dashboard(HTMLParser):
    """The dashboard's counts (label -> (figure, link)) and its chart's bars (day -> count)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.counts: dict[str, tuple[int, str | None]] = {}
        self.bars: dict[str, int] = {}
        self.h1: list[str] = []
        self._in: list[str] = []
        self._link: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        if tag == "a":
            self._link = dict(attrs).get("href")
        if tag in ("li", "title", "h1"):
            self._text = ""

    def handle_endtag(self, tag: str) -> None:
        text = " ".join(self._text.split())
        if tag == "li" and re.fullmatch(r"\d+ \w+", text):
            figure, label = text.split()
            self.counts[label] = (int(figure), self._link)
        elif tag == "title" and "rect" in self._in:
            day, number = text.split(": ")
            self.bars[day] = int(number)
        elif tag == "h1":
            self.h1.append(text)
        if tag == "a":
            self._link = None if "li" not in self._in else self._link
        if tag == "li":
            self._link = None
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        self._text += data


def dashboard(client: Any) -> Dashboard:
    response = client.get("/admin/")
    assert response.status_code == 200
    return Dashboard(response.get_data(as_text=True))


def test_counts_link_to_their_lists(console, app, make_blog, make_user):
    now = datetime.now(UTC)
    make_blog("Out now", author_name="ann")
    make_blog("Out before", author_name="bob", publish_at=now - timedelta(hours=1))
    make_blog("A draft", author_name="bob", status="draft")
    make_blog("Later on", author_name="ann", publish_at=now + timedelta(days=2))
    make_user("+819044440000", name="Second")
    page = dashboard(console)
    assert page.h1 == ["Dashboard"]
    figures = {label: figure for label, (figure, _) in page.counts.items()}
    assert figures == {"published": 2, "drafts": 1, "scheduled": 1, "authors": 4, "users": 2}
    # Each count links to the list it counts (every user has an author profile too).
    titles = ("Out now", "Out before", "A draft", "Later on")
    for label, shown in (("published", {"Out now", "Out before"}), ("drafts", {"A draft"}),
                         ("scheduled", {"Later on"})):  # fmt: skip
        listing = console.get(page.counts[label][1]).get_data(as_text=True)
        assert {title for title in titles if title in listing} == shown, label
    assert "Second" in console.get(page.counts["users"][1]).get_data(as_text=True)
    assert "ann" in console.get(page.counts["authors"][1]).get_data(as_text=True)


def test_blogs_per_day_for_the_last_30_days(console, app, make_blog):
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    for number, days_ago in enumerate([0, 0, 0, 3, 29, 30, 45]):
        make_blog(f"Blog {number}", created_at=today - timedelta(days=days_ago))
    bars = dashboard(console).bars
    assert len(bars) == 30
    day = lambda ago: (today - timedelta(days=ago)).date().isoformat()  # noqa: E731
    assert bars[day(0)] == 3 and bars[day(3)] == 1 and bars[day(29)] == 1
    assert day(30) not in bars and sum(bars.values()) == 5
    html = console.get("/admin/").get_data(as_text=True)
    # Drawn on the server with attributes only: the console's CSP allows no inline style.
    tallest = re.search(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', html)
    assert tallest is not None and "style=" not in html and '<script src="http' not in html


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"THROTTLE_RATES": {"anon": "1/minute"}}


def figure(html: str, label: str) -> str:
    match = re.search(rf"<tr><td>{label}</td><td>([^<]+)</td>", html)
    return match.group(1) if match else "0"


def test_cache_ratio_and_429s_since_start(console, client, app, make_blog):
    """Counted by the metrics (process-wide, so the test compares before and after)."""
    before = console.get("/admin/").get_data(as_text=True)
    anonymous = app.test_client()
    make_blog("Cached")
    for _ in range(3):
        anonymous.get("/")  # a miss, then hits
    for _ in range(3):
        anonymous.get("/blog/blogs_anon_view/")  # 1 a minute: two 429s
    after = console.get("/admin/").get_data(as_text=True)
    assert int(figure(after, "anon")) - int(figure(before, "anon")) == 2
    row = r"<tr><td>page</td><td>(\d+)</td><td>(\d+)</td><td>([\d.]+ %)</td>"
    page_hits = re.search(row, after)
    assert page_hits is not None and int(page_hits.group(1)) >= 2
    assert re.search(r"Hit ratio: <strong>[\d.]+ %</strong>", after)


def test_recent_audit_entries_link_to_their_details(console, app):
    console.post("/admin/tags/new/", data={"name": "Fresh", "slug": ""})
    html = console.get("/admin/").get_data(as_text=True)
    link = re.search(r'<a href="(/admin/audit/details/\?id=\d+)">Tag Fresh</a>', html)
    assert link is not None
    assert "Fresh" in console.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)


def test_staff_see_the_dashboard_without_the_superusers_links(client, staff, make_blog):
    make_blog("Visible")
    assert admin_login(client, STAFF_PHONE).status_code == 302
    page = dashboard(client)
    assert page.counts["published"][0] == 1
    assert 'href="/admin/users/"' not in client.get("/admin/").get_data(as_text=True)


def test_the_dashboard_counts_with_a_fixed_number_of_queries(console, app, make_blog):
    from ..conftest import count_queries

    make_blog("One")
    console.get("/admin/")  # the session's user row is cached from here on
    with count_queries(app) as few:
        console.get("/admin/")
    with app.app_context():
        db.session.add_all(
            Blog(title=f"More {n}", slug=f"more-{n}", content="x", author_id=1) for n in range(30)
        )
        db.session.commit()
    console.get("/admin/")
    with count_queries(app) as many:
        console.get("/admin/")
    assert len(many) == len(few) <= 4
