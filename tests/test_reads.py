"""A cold public page's reads: committed data, outside the session, and nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from blogsite.blog import queries
from blogsite.extensions import db
from blogsite.models import Author, Blog

from .conftest import count_queries


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"CACHE_ENABLED": False}


def test_cold_pages_read_without_a_session_transaction(app: Any, make_blog: Any) -> None:
    """No BEGIN and no ROLLBACK: a page's single statements run in autocommit."""
    make_blog("Read cold", tags=["news"])
    for path in ("/", "/blog/read-cold/", "/author/1/", "/tag/news/"):
        with app.test_request_context(path):
            if path == "/":
                listing = queries.home_page(1, 10)
                assert [blog["slug"] for blog in listing["items"]] == ["read-cold"]
            elif path.startswith("/blog/"):
                assert queries.blog_detail("read-cold")["title"] == "Read cold"
            elif path.startswith("/author/"):
                assert queries.author_info(1)["name"] == "writer"
                assert [b["slug"] for b in queries.get_all_blogs(1)] == ["read-cold"]
            else:
                tag = queries.tag_info("news")
                assert tag is not None and tag["name"] == "news"
                assert queries.tag_page(tag["id"], 1, 10)["total"] == 1
            assert not db.session().in_transaction()
    assert b"Read cold" in app.test_client().get("/").data


def test_reads_inside_a_transaction_see_what_it_wrote(app: Any) -> None:
    """A view (or test) that flushed, and reads before committing, sees its own rows."""
    with app.test_request_context("/"):
        db.session.add(Blog(title="Unsaved", slug="unsaved", content="x", author=Author(name="w")))
        db.session.flush()
        assert queries.blog_detail("unsaved")["title"] == "Unsaved"
        assert [blog["slug"] for blog in queries.home_page(1, 10)["items"]] == ["unsaved"]
        db.session.rollback()
        assert queries.blog_detail("unsaved") is None


def test_a_listing_page_is_one_statement(app: Any, make_blog: Any) -> None:
    """Its rows, its count and the next publication (for the caches' expiry) come together."""
    make_blog("Only one")
    with count_queries(app) as statements, app.test_request_context("/"):
        assert queries.home_page(1, 10)["total"] == 1
    assert len(statements) == 1, statements
