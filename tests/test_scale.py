"""Listings and sitemaps whose cost does not grow with the site (issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import render_template

from blogsite.blog import pagination, sitemap_rows
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
         "/?page=2&after=5", "/author/1/?page=2&after=5", "/tag/t0/?page=2&after=5",
         "/?page=3&after=10", "/author/1/?page=3&after=10", "/tag/t0/?page=3&after=10",
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
    monkeypatch.setattr(pagination, "LOOKAHEAD", 7)  # past this, the count says "N+"
    app.config["BLOGS_PER_PAGE"] = 3
    seed(app, 25)
    everything = [f"blog-{n}" for n in range(25)]
    for start in ("/", "/author/1/", "/tag/t0/"):
        expected = everything
        pages, path, labels, last = [], start, [], ""
        while path:
            page = client.get(path)
            assert page.status_code == 200, path
            html, last = page.get_data(as_text=True), path
            pages.append(re.findall(r'href="/blog/([^/"]+)/"', html))
            labels += re.findall(r"Page \d+ of \d+\+?", html)
            older = re.search(r'rel="next" href="([^"]+)"', html)
            path = older.group(1).replace("&amp;", "&") if older else None
            assert path is None or "after=" in path  # a keyset cursor, not a deep OFFSET
        assert [slug for page in pages for slug in page] == expected
        assert labels[0] == "Page 1 of 3+" and labels[-1] == "Page 9 of 9"
        # And back by the Newer links: the same pages in reverse, by cursor past page 2.
        back, path = [], last
        while path:
            html = client.get(path).get_data(as_text=True)
            back.append(re.findall(r'href="/blog/([^/"]+)/"', html))
            newer = re.search(r'rel="prev" href="([^"]+)"', html)
            path = newer.group(1).replace("&amp;", "&") if newer else None
            assert path is None or "after=" in path or "page=1" in path
        assert back == pages[::-1]
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


def test_older_link_survives_its_anchor_and_bad_cursors_are_400(app, client):
    """A cursor whose blog was deleted falls back to the page number: no dead link."""
    app.config["BLOGS_PER_PAGE"] = 3
    seed(app, 10)
    html = client.get("/").get_data(as_text=True)
    older = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert older == "/?page=2&after=3"
    page_two = client.get(older).get_data(as_text=True)
    with app.app_context():
        db.session.delete(db.session.get(Blog, 3))
        db.session.commit()
    after_delete = client.get(older)
    assert after_delete.status_code == 200
    # By OFFSET now: blog-3 moved up to page 1, so page 2 starts at blog-4.
    assert re.findall(r'href="/blog/([^/"]+)/"', after_delete.get_data(as_text=True))[:3] == [
        "blog-4", "blog-5", "blog-6"]  # fmt: skip
    assert "blog-3" in page_two
    with app.app_context():
        db.session.get(Blog, 8).status = "draft"
        db.session.commit()
    # A draft is no anchor (its position would tell its date): by page number instead.
    slugs = [re.findall(r'href="/blog/([^/"]+)/"', client.get(p).get_data(as_text=True))
             for p in ("/?page=2&after=8", "/?page=2")]  # fmt: skip
    assert slugs[0] == slugs[1] == ["blog-4", "blog-5", "blog-6"]  # not from blog-7 on
    for bad in ("x", "-1", "1.5", "99999999999"):
        assert client.get(f"/?page=2&after={bad}").status_code == 400, bad
    assert client.get("/?page=2&after=10").status_code == 404  # nothing older than the last


def tag_page_slugs(client, slug: str) -> list[str]:
    return re.findall(r'href="/blog/([^/"]+)/"', client.get(f"/tag/{slug}/").get_data(as_text=True))


def test_tag_copies_follow_status_date_and_tags(app, client):
    """blog_tags' copies of status and created_at follow ORM and bulk writes alike."""
    app.config["BLOGS_PER_PAGE"] = 50
    seed(app, 6)
    with app.app_context():
        from sqlalchemy import select, update

        from blogsite.domain.publishing import set_status
        from blogsite.models import STATUS_DRAFT, blog_tags

        set_status(db.session.scalar(select(Blog).where(Blog.slug == "blog-1")), STATUS_DRAFT)
        moved = db.session.scalar(select(Blog).where(Blog.slug == "blog-5"))
        moved.created_at = utcnow() + timedelta(days=1)  # now the newest
        fresh = Blog(title="Fresh", slug="fresh", content="x", author_id=1,
                     tags=[db.session.scalar(select(Tag).where(Tag.slug == "t0"))])  # fmt: skip
        db.session.add(fresh)
        db.session.commit()
        db.session.execute(update(Blog).where(Blog.slug == "blog-2").values(status=STATUS_DRAFT))
        db.session.commit()
        link, blog = blog_tags.c, Blog.__table__.c
        stale = select(link.blog_id).join(Blog.__table__, blog.id == link.blog_id)
        stale = stale.where((blog.status != link.status) | (blog.created_at != link.created_at))
        assert db.session.scalars(stale).all() == []
    assert tag_page_slugs(client, "t0") == ["blog-5", "fresh", "blog-0", "blog-3", "blog-4"]
    assert tag_page_slugs(client, "t0") == re.findall(
        r'href="/blog/([^/"]+)/"', client.get("/").get_data(as_text=True))  # fmt: skip


def old_index_lastmods(counts: dict[str, int], size: int) -> dict[int, object]:
    """Return each part's latest change as the index computed it before: streaming every row."""
    latest: dict[int, object] = {}
    for position, (_, _, changed) in enumerate(
        sitemap_rows.rows(counts, 0, sum(counts.values()) + 1)
    ):
        number = position // size + 1
        if changed is not None and (number not in latest or changed > latest[number]):
            latest[number] = changed
    return latest


def test_sitemap_index_lastmods_equal_streaming_every_row(app, client):
    app.config["SITEMAP_MAX_URLS"] = 7
    seed(app, 30)
    with app.app_context():
        from sqlalchemy import select

        # Changes out of id order, a draft, and a second author, so parts differ.
        second = Author(name="two", email="two@example.com")
        for n, blog in enumerate(db.session.scalars(select(Blog).order_by(Blog.id))):
            blog.updated_at = utcnow() - timedelta(hours=(n * 7) % 11)
            if n % 5 == 0:
                blog.author = second
            if n == 13:
                blog.status = "draft"
        db.session.commit()
    index = client.get("/sitemap.xml").get_data(as_text=True)
    with app.test_request_context("/"):
        counts = sitemap_rows.sizes()
        expected = old_index_lastmods(counts, 7)
        assert sitemap_rows.latest_by_part(counts, 7) == expected
    found = re.findall(r"sitemap-(\d+)\.xml</loc><lastmod>([^<]+)<", index)
    assert len(found) == len(expected) > 3
    assert {int(n): stamp for n, stamp in found} == {
        n: sitemap_rows.lastmod(c) for n, c in expected.items()}  # fmt: skip
