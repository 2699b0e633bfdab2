"""Cache and Throttling pages against a real Redis, with CSRF on: what they show and do."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from blogsite.extensions import db
from blogsite.models import Author

from ..throttle_support import get
from .conftest import STAFF_PHONE, admin_login, csrf_token

pytestmark = pytest.mark.redis
VISITOR = "203.0.113.9"


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    rates = {"anon": "3/minute", "user": "3/minute", "blog_limit": "3/minute"}
    return app_config | {"REDIS_URL": redis_url, "WTF_CSRF_ENABLED": True, "THROTTLE_RATES": rates}


@pytest.fixture
def staff_client(client: Any, staff: int) -> Any:
    """A client logged in to the console as staff (not only superusers may operate)."""
    assert admin_login(client, STAFF_PHONE).status_code == 302
    return client


def author_id(app: Any, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Author.id).filter_by(name=name))


def status_table(html: str) -> dict[str, str]:
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]*)</td>', html)
    return {name: unescape(value) for name, value in rows}


def warm(reader: Any, path: str) -> None:
    """Load ``path`` until the page cache answers it (a MISS stores it, the next is a HIT)."""
    reader.get(path)
    assert reader.get(path).headers["X-Cache"] == "HIT", path


def x_cache(reader: Any, path: str) -> str:
    response = reader.get(path)
    assert response.status_code == 200, path
    return response.headers["X-Cache"]


def test_cache_dashboard_shows_the_live_cache(staff_client, make_blog):
    make_blog("Cached blog", author_name="ann")
    reader = staff_client.application.test_client()
    before = status_table(staff_client.get("/admin/cache/").get_data(as_text=True))
    assert before["Backend"] == "RedisCache" and before["Reachable"] == "True"
    assert before["Breaker"] == "closed"
    assert set(before) >= {"Hits", "Misses", "Keys", "Memory"}
    # A page miss (a query miss, a body fragment miss whose own read of the query hits),
    # then a page hit; the staff member's cached session is not counted.
    warm(reader, "/blog/cached-blog/")
    after = status_table(staff_client.get("/admin/cache/").get_data(as_text=True))
    assert int(after["Hits"]) == int(before["Hits"]) + 2
    assert int(after["Misses"]) == int(before["Misses"]) + 3
    assert int(after["Keys"]) > int(before["Keys"])  # the page and its generations


def test_invalidate_buttons_make_pages_miss_again(staff_client, app, make_blog):
    make_blog("Ann's blog", slug="anns-blog", author_name="ann")
    make_blog("Bob's blog", slug="bobs-blog", author_name="bob")
    ann = author_id(app, "ann")
    anns_pages = ["/blog/anns-blog/", f"/author/{ann}/"]
    others = ["/blog/bobs-blog/", f"/author/{author_id(app, 'bob')}/"]
    reader = app.test_client()  # anonymous: the visitor the page cache answers
    for path in anns_pages + others:
        warm(reader, path)
    token = csrf_token(staff_client.get("/admin/cache/").get_data(as_text=True))

    # Without the token nothing happens.
    assert staff_client.post("/admin/cache/invalidate-all/").status_code == 400
    no_token = {"author_id": str(ann)}
    assert staff_client.post("/admin/cache/invalidate-author/", data=no_token).status_code == 400
    assert [x_cache(reader, path) for path in anns_pages + others] == ["HIT"] * 4

    response = staff_client.post(
        "/admin/cache/invalidate-author/",
        data={"author_id": str(ann), "csrf_token": token},
        follow_redirects=True,
    )
    assert "The cache of ann's blogs was invalidated." in unescape(response.get_data(as_text=True))
    assert [x_cache(reader, path) for path in anns_pages] == ["MISS", "MISS"]
    assert [x_cache(reader, path) for path in others] == ["HIT", "HIT"]  # bob's untouched
    assert [x_cache(reader, path) for path in anns_pages] == ["HIT", "HIT"]  # stored again

    response = staff_client.post(
        "/admin/cache/invalidate-all/", data={"csrf_token": token}, follow_redirects=True
    )
    assert "The whole cache was invalidated." in response.get_data(as_text=True)
    assert [x_cache(reader, path) for path in anns_pages + others] == ["MISS"] * 4


def test_invalidate_author_rejects_bad_ids(staff_client):
    token = csrf_token(staff_client.get("/admin/cache/").get_data(as_text=True))
    cases = [("abc", "Not a valid integer value"), ("0", "Number must be"),
             ("", "This field is required"), ("424242", "There is no author #424242")]  # fmt: skip
    for value, message in cases:
        response = staff_client.post(
            "/admin/cache/invalidate-author/",
            data={"author_id": value, "csrf_token": token},
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), value


def test_throttling_lookup_shows_the_budget_and_reset_restores_it(staff_client, app):
    page = "/blog/blogs_anon_view/"
    codes = [get(staff_client.application.test_client(), page, ip=VISITOR).status_code
             for _ in range(4)]  # fmt: skip
    assert codes == [200, 200, 200, 429]

    html = staff_client.get(f"/admin/throttling/?ip={VISITOR}").get_data(as_text=True)
    row = re.search(r"<td>anon</td><td>ip:([^<]+)</td><td>[^<]*</td>"
                    r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", html)  # fmt: skip
    assert row, html
    assert row.group(1) == VISITOR and row.groups()[1:] == ("3", "3", "0")  # amount used left
    assert "Reset this budget" in html

    token = csrf_token(html)
    response = staff_client.post(
        "/admin/throttling/reset/", data={"ip": VISITOR, "csrf_token": token}
    )
    assert response.status_code == 302
    html = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cleared 1 counter(s)." in html
    assert re.search(r"<td>anon</td><td>ip:[^<]+</td><td>[^<]*</td><td>3</td><td>0</td><td>3</td>",
                     html)  # fmt: skip
    assert get(app.test_client(), page, ip=VISITOR).status_code == 200  # served again


def test_throttling_lookup_by_user_and_bad_input(staff_client, staff):
    html = staff_client.get(f"/admin/throttling/?user_id={staff}").get_data(as_text=True)
    assert f"<td>user:{staff}</td>" in html  # the user's budgets, unused
    bad = staff_client.get("/admin/throttling/?ip=999.1.1.1&user_id=abc").get_data(as_text=True)
    assert "Enter an IPv4 or IPv6 address." in bad and "A user id is a whole number" in bad
    unknown = staff_client.get("/admin/throttling/?user_id=424242")
    assert unknown.status_code == 200
    assert "No user has the id 424242." in unknown.get_data(as_text=True)

    token = csrf_token(html)  # the reset form's, under the looked-up budgets
    for data, message in (({}, "Give a valid address or user id to reset."),
                          ({"user_id": "424242"}, "No user has the id 424242.")):  # fmt: skip
        response = staff_client.post(
            "/admin/throttling/reset/", data={**data, "csrf_token": token}, follow_redirects=True
        )
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), data
