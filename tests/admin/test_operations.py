"""Cache and Throttling pages: shown once the caching and throttling issues provide them."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from blogsite import caching, throttling
from blogsite.admin.ops import CACHE_API, THROTTLE_API, provides
from blogsite.extensions import db
from blogsite.models import Author

from .conftest import STAFF_PHONE, admin_login

HAS_CACHE = provides(caching, CACHE_API)
HAS_THROTTLING = provides(throttling, THROTTLE_API)
needs_cache = pytest.mark.skipif(
    not HAS_CACHE, reason="caching.cache_status/invalidate_* come with the caching issue"
)
needs_throttling = pytest.mark.skipif(
    not HAS_THROTTLING, reason="throttling.budget_status/reset_budget come with that issue"
)


@pytest.mark.skipif(HAS_CACHE and HAS_THROTTLING, reason="both modules are present")
def test_the_console_works_without_the_operations_modules(console):
    home = console.get("/admin/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    if not HAS_CACHE:
        assert console.get("/admin/cache/").status_code == 404
        assert 'href="/admin/cache/"' not in html
    if not HAS_THROTTLING:
        assert console.get("/admin/throttling/").status_code == 404
        assert 'href="/admin/throttling/"' not in html


@needs_cache
def test_cache_dashboard_and_its_buttons(client, staff, make_blog):
    admin_login(client, STAFF_PHONE)  # staff, not only superusers
    make_blog("Cached blog", author_name="ann")
    html = client.get("/admin/cache/").get_data(as_text=True)
    for label in ("Backend", "Reachable", "Breaker", "Hits", "Misses", "Keys"):
        assert label in html, label

    response = client.post("/admin/cache/invalidate-all/", follow_redirects=True)
    assert "The whole cache was invalidated." in response.get_data(as_text=True)
    for author_id, message in (("abc", "Not a valid integer value"), ("0", "Number must be"),
                               ("424242", "There is no author #424242")):  # fmt: skip
        response = client.post(
            "/admin/cache/invalidate-author/", data={"author_id": author_id}, follow_redirects=True
        )
        assert message in response.get_data(as_text=True), author_id
    with client.application.app_context():
        author_id = db.session.scalar(select(Author.id).filter_by(name="ann"))
    response = client.post(
        "/admin/cache/invalidate-author/", data={"author_id": str(author_id)}, follow_redirects=True
    )
    assert "The cache of ann's blogs was invalidated." in unescape(response.get_data(as_text=True))


@needs_throttling
def test_throttling_lookup_and_reset(console):
    assert "Look up" in console.get("/admin/throttling/").get_data(as_text=True)
    bad = console.get("/admin/throttling/?ip=999.1.1.1&user_id=abc").get_data(as_text=True)
    assert "Enter an IPv4 or IPv6 address." in bad and "A user id is a whole number" in bad
    found = console.get("/admin/throttling/?ip=203.0.113.9").get_data(as_text=True)
    assert "Reset this budget" in found
    response = console.post("/admin/throttling/reset/", data={}, follow_redirects=True)
    assert "Give a valid address or user id to reset." in response.get_data(as_text=True)
    response = console.post(
        "/admin/throttling/reset/", data={"ip": "203.0.113.9"}, follow_redirects=True
    )
    assert "counter(s)." in response.get_data(as_text=True)
