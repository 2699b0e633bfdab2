"""Atom feeds per author and per tag: valid, published blogs only, 404s, cached and
invalidated like /feed.xml."""

from __future__ import annotations

from typing import Any

import pytest

from blogsite.extensions import db
from blogsite.models import STATUS_DRAFT, Author, Blog

from .page_parts import ATOM, atom, entry_titles


@pytest.fixture
def blogs(make_blog: Any) -> None:
    make_blog("Rails one", author_name="ken", tags=["rail"])
    make_blog("Sea one", author_name="ken", tags=["sea"])
    make_blog("Rails two", author_name="mai", tags=["rail", "sea"])
    make_blog("Rail draft", author_name="ken", tags=["rail"], status=STATUS_DRAFT)


def author_id(app: Any, name: str) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(Author.id).filter_by(name=name)))


def test_author_feed_lists_only_their_published_blogs(app, client, blogs):
    ken = author_id(app, "ken")
    response = client.get(f"/author/{ken}/feed.xml")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = atom(response.data)
    assert entry_titles(root) == ["Sea one", "Rails one"]
    assert root.findtext(f"{ATOM}title") == "ken · blogsite"
    assert root.findtext(f"{ATOM}id") == f"http://localhost/author/{ken}/"
    [self_link] = [el for el in root.findall(f"{ATOM}link") if el.get("rel") == "self"]
    assert self_link.get("href") == f"http://localhost/author/{ken}/feed.xml"
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "ken"
        assert entry.findtext(f"{ATOM}author/{ATOM}uri") == f"http://localhost/author/{ken}/"


def test_tag_feed_lists_only_published_blogs_with_the_tag(client, blogs):
    response = client.get("/tag/rail/feed.xml")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = atom(response.data)
    assert entry_titles(root) == ["Rails two", "Rails one"]
    assert root.findtext(f"{ATOM}id") == "http://localhost/tag/rail/"
    for entry in root.findall(f"{ATOM}entry"):
        assert "rail" in [el.get("term") for el in entry.findall(f"{ATOM}category")]
        assert "<em>text</em>" in (entry.findtext(f"{ATOM}content") or "")  # rendered body


def test_feed_size_bounds_the_per_author_and_per_tag_feeds(app, client, make_blog):
    app.config["FEED_SIZE"] = 2
    for n in range(4):
        make_blog(f"Entry {n}", author_name="ken", tags=["rail"])
    ken = author_id(app, "ken")
    assert entry_titles(atom(client.get(f"/author/{ken}/feed.xml").data)) == ["Entry 3", "Entry 2"]
    assert entry_titles(atom(client.get("/tag/rail/feed.xml").data)) == ["Entry 3", "Entry 2"]


def test_an_empty_feed_is_still_valid(app, client, make_blog):
    make_blog("Hidden", author_name="ken", tags=["quiet"], status=STATUS_DRAFT)
    for path in (f"/author/{author_id(app, 'ken')}/feed.xml", "/tag/quiet/feed.xml"):
        root = atom(client.get(path).data)
        assert entry_titles(root) == []
        assert root.findtext(f"{ATOM}updated") == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "path", ["/author/999/feed.xml", "/author/99999999999/feed.xml", "/tag/nope/feed.xml",
             "/tag/" + "x" * 61 + "/feed.xml"],
)  # fmt: skip
def test_unknown_authors_and_tags_are_404(client, blogs, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "X-Cache" not in response.headers or response.headers["X-Cache"] != "HIT"


@pytest.mark.redis
def test_feeds_are_cached_and_an_edit_invalidates_them(app, client, blogs, redis_url):
    ken = author_id(app, "ken")
    paths = [f"/author/{ken}/feed.xml", "/tag/rail/feed.xml"]
    for path in paths:
        assert client.get(path).headers["X-Cache"] == "MISS"
        assert client.get(path).headers["X-Cache"] == "HIT"
    with app.app_context():
        blog = db.session.scalar(db.select(Blog).filter_by(slug="rails-one"))
        blog.title = "Rails one, revised"
        db.session.commit()
    for path in paths:
        response = client.get(path)
        assert response.headers["X-Cache"] == "MISS", path
        assert "Rails one, revised" in entry_titles(atom(response.data)), path
    # Publishing the draft brings it into both feeds; taking a blog down drops it.
    with app.app_context():
        draft = db.session.scalar(db.select(Blog).filter_by(slug="rail-draft"))
        draft.status = "published"
        sea = db.session.scalar(db.select(Blog).filter_by(slug="sea-one"))
        sea.status = STATUS_DRAFT
        db.session.commit()
    assert "Rail draft" in entry_titles(atom(client.get(paths[1]).data))
    assert entry_titles(atom(client.get(paths[0]).data)) == ["Rail draft", "Rails one, revised"]


@pytest.mark.redis
def test_another_authors_write_keeps_an_authors_feed_cached(app, client, blogs, redis_url):
    ken = author_id(app, "ken")
    client.get(f"/author/{ken}/feed.xml")
    with app.app_context():
        blog = db.session.scalar(db.select(Blog).filter_by(slug="rails-two"))
        blog.content = "Changed by mai."
        db.session.commit()
    assert client.get(f"/author/{ken}/feed.xml").headers["X-Cache"] == "HIT"


@pytest.mark.parametrize("path", ["/feed.xml", "/author/1/feed.xml", "/tag/rail/feed.xml"])
def test_content_is_escaped_html_so_void_elements_keep_the_feed_valid(client, make_blog, path):
    """HTML such as <img> or <br> is not XML: it was embedded raw and broke every feed."""
    body = "Line one  \nline two\n\n![a cover](https://img.example/a.jpg)\n\n---\n\n1 < 2 & 3"
    make_blog("Void elements", author_name="ken", tags=["rail"], content=body)
    root = atom(client.get(path).data)
    [entry] = root.findall(f"{ATOM}entry")
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert list(content) == []  # text, not child elements
    html = content.text or ""
    assert '<img src="https://img.example/a.jpg" alt="a cover">' in html
    assert "<br>" in html and "<hr>" in html and "1 &lt; 2 &amp; 3" in html
