"""Listings and sitemaps whose cost does not grow with the site (issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import render_template

from blogsite.blog import queries, sitemap_rows
from blogsite.extensions import db
from blogsite.models import Author, Blog, Tag, utcnow

from .conftest import count_queries


def seed(app, total: int) -> None:
    """Add ``total`` published blogs (distinct times), one author, tags t0 (all) and t1."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        author = Author(name="bulk", email="bulk@example.com")
        tags = [Tag(name="t0", slug="t0"), Tag(name="odd", slug="a&b'c")]
        now = utcnow()
        for n in range(total):
            db.session.add(
                Blog(title=f"Blog {n}", slug=f"blog-{n}", content="Body", author=author,
                     tags=tags if n % 2 else tags[:1], created_at=now - timedelta(minutes=n))
            )  # fmt: skip
        db.session.commit()


PATHS = ["/", "/?page=2", "/author/1/", "/author/1/?page=2", "/tag/t0/", "/tag/t0/?page=2",
         "/sitemap.xml", "/sitemap-1.xml", "/sitemap-2.xml"]  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_query_count_is_the_same_at_30_and_300_blogs(app, path):
    app.config["SITEMAP_MAX_URLS"] = 20
    app.config["BLOGS_PER_PAGE"] = 5
    counts = []
    for total in (30, 300):
        seed(app, total)
        client = app.test_client()
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_every_page_link_walks_every_blog_once(app, client, monkeypatch):
    """Older links from page 1 to the last: each blog once, newest first, no dead link."""
    monkeypatch.setattr(queries, "LOOKAHEAD", 7)  # past this, the count says "N+"
    app.config["BLOGS_PER_PAGE"] = 3
    seed(app, 25)
    for start, expected in (("/", [f"blog-{n}" for n in range(25)]),
                            ("/tag/t0/", [f"blog-{n}" for n in range(25)])):  # fmt: skip
        seen, path, labels = [], start, []
        while path:
            page = client.get(path)
            assert page.status_code == 200, path
            html = page.get_data(as_text=True)
            seen += re.findall(r'href="/blog/([^/"]+)/"', html)
            labels += re.findall(r"Page \d+ of \d+\+?", html)
            older = re.search(r'rel="next" href="([^"]+)"', html)
            path = older.group(1).replace("&amp;", "&") if older else None
        assert seen == expected
        assert labels[0] == "Page 1 of 3+" and labels[-1] == "Page 9 of 9"
    assert client.get("/?page=9").status_code == 200
    assert client.get("/?page=10").status_code == 404
    assert client.get("/?page=abc").status_code == 400
    assert client.get("/tag/t0/?page=10").status_code == 404


def test_small_site_counts_pages_exactly(app, client):
    app.config["BLOGS_PER_PAGE"] = 10
    seed(app, 25)
    assert "Page 1 of 3</span>" in client.get("/").get_data(as_text=True)


def test_sitemap_parts_equal_the_template_rendering(app, client):
    """The streamed parts hold exactly what the old template wrote, escaping included."""
    app.config["SITEMAP_MAX_URLS"] = 9
    seed(app, 20)
    parts = [client.get(f"/sitemap-{n}.xml") for n in (1, 2, 3)]
    assert [p.status_code for p in parts] == [200, 200, 200]
    assert client.get("/sitemap-4.xml").status_code == 404
    with app.test_request_context("/"):
        counts = sitemap_rows.sizes()
        names = {"blog.detail": "slug", "blog.tag": "slug", "blog.author": "author_id"}
        found = sitemap_rows.rows(counts, 0, sitemap_rows.total(counts))
        items = [(e, {} if k is None else {names[e]: k}, c) for e, k, c in found]
        for n, part in enumerate(parts):
            old = render_template("blog/sitemap.xml", urls=items[n * 9 : (n + 1) * 9])
            assert part.get_data(as_text=True) == old
    assert "/tag/a&amp;b&#39;c/" in parts[2].get_data(as_text=True)
