"""The public pages: content, pagination, drafts, bad input and query counts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from blogsite.extensions import db
from blogsite.models import STATUS_DRAFT, Author, Blog, CoverImage, Tag

from .conftest import count_queries


def add_blogs(app, count: int, tags: int = 3) -> None:
    """Add ``count`` published blogs with covers and ``tags`` tags each, by one author."""
    with app.app_context():
        author = Author(name="bulk", email="bulk@example.com", bio="Writes a lot.")
        tag_rows = [Tag(name=f"t{n}", slug=f"t{n}") for n in range(tags)]
        for n in range(count):
            db.session.add(
                Blog(title=f"Blog number {n}", slug=f"blog-number-{n}", content=f"Body {n}",
                     author=author, tags=tag_rows,
                     cover_image=CoverImage(image_link=f"https://img.example/{n}.jpg"))
            )  # fmt: skip
        db.session.commit()


def test_home_lists_latest_published_blogs(client, make_blog):
    make_blog("Old news", tags=["python"], content="First **paragraph** here.")
    make_blog("Secret draft", status=STATUS_DRAFT)
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Old news" in page
    assert "First paragraph here." in page  # excerpt, without markup
    assert "#python" in page and 'href="/tag/python/"' in page
    assert 'href="/author/1/"' in page
    assert "Secret draft" not in page


def test_home_paginates_ten_per_page(app, client):
    add_blogs(app, 25, tags=1)
    first = client.get("/").get_data(as_text=True)
    assert first.count('class="card"') == 10
    # Older and Newer links carry a keyset cursor (tests/test_scale.py walks them).
    assert 'href="/?page=2&amp;after=' in first and 'rel="prev"' not in first
    third = client.get("/?page=3").get_data(as_text=True)
    assert third.count('class="card"') == 5
    assert 'href="/?page=2&amp;after=' in third and 'rel="next"' not in third
    assert client.get("/?page=4").status_code == 404


@pytest.mark.parametrize(
    ("query", "status"),
    [("abc", 400), ("-1", 400), ("0", 400), ("1.5", 400), ("", 400), ("%00", 400),
     ("99999999999999999999", 404), ("２", 400)],
)  # fmt: skip
def test_bad_page_numbers_get_a_clear_answer(client, query, status):
    response = client.get(f"/?page={query}")
    assert response.status_code == status
    assert "<h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    ["/blog/nope/", "/author/999/", "/author/99999999999999999999/", "/author/abc/",
     "/tag/nope/", "/blog/" + "x" * 500 + "/", "/no/such/page"],
)  # fmt: skip
def test_unknown_things_are_404_pages(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_wrong_method_is_a_405_page(client):
    response = client.post("/")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)
    assert "GET" in response.headers["Allow"]


def test_errors_answer_json_when_asked(client):
    response = client.get("/blog/nope/", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_blog_page_renders_sanitized_markdown(client, make_blog):
    content = (
        "# Heading\n\nSome **bold** text.\n\n<script>alert('x')</script>\n\n"
        '<img src="https://img.example/a.png" onerror="alert(1)">\n\n'
        '[click](javascript:alert(1)) <a href="javascript:alert(2)">raw</a>'
    )
    slug = make_blog("Markdown test", content=content, tags=["tag1"])
    page = client.get(f"/blog/{slug}/").get_data(as_text=True)
    assert "<h1>Heading</h1>" in page and "<strong>bold</strong>" in page
    assert "<script>alert" not in page
    assert "onerror" not in page
    assert 'href="javascript' not in page.replace(" ", "")
    assert 'href="/tag/tag1/"' in page and 'href="/author/1/"' in page


def test_author_and_tag_pages(app, client, make_blog):
    make_blog("Tagged one", tags=["news"])
    make_blog("Untagged one")
    author = client.get("/author/1/").get_data(as_text=True)
    assert "Tagged one" in author and "Untagged one" in author
    tag = client.get("/tag/news/").get_data(as_text=True)
    assert "Tagged one" in tag and "Untagged one" not in tag
    add_blogs(app, 12, tags=1)
    assert client.get("/author/2/?page=2").status_code == 200
    assert client.get("/author/2/?page=3").status_code == 404
    assert client.get("/tag/t0/?page=2").status_code == 200


@pytest.mark.parametrize("path", ["/blog/blogs_auto_invalidation/", "/blog/blogs_logs/"])
def test_the_original_pages_list_every_published_blog_a_row_each(app, client, make_blog, path):
    add_blogs(app, 120, tags=2)  # author 1: 120 blogs with covers, two tags each
    make_blog("Bulk draft", author_name="bulk", status=STATUS_DRAFT)
    page = client.get(f"{path}?author_id=1").get_data(as_text=True)
    rows = re.findall(r'<tr><td><a href="/blog/([^/"]+)/">([^<]+)</a></td><td><time datetime="'
                      r'[^"]+">[^<]+</time></td><td>(.*?)</td></tr>', page)  # fmt: skip
    newest_first = [f"blog-number-{n}" for n in range(119, -1, -1)]
    assert [slug for slug, _title, _tags in rows] == newest_first
    assert rows[7][1] == "Blog number 112"
    assert rows[7][2] == '<a href="/tag/t0/">#t0</a> <a href="/tag/t1/">#t1</a>'
    assert "Bulk draft" not in page and 'class="cover"' not in page  # covers: the cards'
    assert '<h1>Blogs by <a href="/author/1/">bulk</a></h1>' in page  # where the cards are
    assert len(page) < 120 * 200 + 8_000  # a row, not a card, per blog
    make_blog("Only a draft", author_name="quiet", status=STATUS_DRAFT)
    quiet = client.get(f"{path}?author_id=2").get_data(as_text=True)
    assert "No published blogs yet." in quiet and "<table" not in quiet


def test_drafts_are_only_for_their_author_and_staff(app, client, auth, make_user):
    user_id = make_user()
    other_id = make_user("+819099999999", name="Other")
    with app.app_context():
        author = db.session.scalar(db.select(Author).filter_by(user_id=user_id))
        db.session.add(Blog(title="My draft", slug="my-draft", content="wip",
                            author=author, status=STATUS_DRAFT))  # fmt: skip
        db.session.commit()
        author_id = author.id
    assert client.get("/blog/my-draft/").status_code == 404
    assert "My draft" not in client.get(f"/author/{author_id}/").get_data(as_text=True)
    auth.login()
    assert client.get("/blog/my-draft/").status_code == 200
    assert "Your drafts" in client.get(f"/author/{author_id}/").get_data(as_text=True)
    auth.logout()
    auth.login("+819099999999")
    assert client.get("/blog/my-draft/").status_code == 404
    with app.app_context():
        db.session.get(type(author), author_id)
        from blogsite.models import User

        db.session.get(User, other_id).is_staff = True
        db.session.commit()
    assert client.get("/blog/my-draft/").status_code == 200


def test_feed_is_valid_atom_with_twenty_latest(app, client):
    add_blogs(app, 25)
    response = client.get("/feed.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 20
    assert entries[0].find("a:title", ns).text == "Blog number 24"


def test_sitemap_lists_public_urls(client, make_blog):
    make_blog("Public", tags=["news"])
    make_blog("Hidden", status=STATUS_DRAFT)
    response = client.get("/sitemap.xml")
    root = ET.fromstring(response.data)
    locs = [el.text for el in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "http://localhost/blog/public/" in locs
    assert "http://localhost/tag/news/" in locs
    assert "http://localhost/author/1/" in locs
    assert not any("hidden" in loc for loc in locs)
    assert client.get("/sitemap-1.xml").status_code == 404  # a small site has no parts


@pytest.mark.parametrize(
    "path",
    ["/", "/blog/blog-number-0/", "/author/1/", "/tag/t0/", "/feed.xml", "/sitemap.xml",
     "/author/1/feed.xml", "/tag/t0/feed.xml"],
)  # fmt: skip
def test_query_count_does_not_grow_with_blogs(app, path):
    """1 blog and 50 blogs cost the same number of SQL queries (no N+1)."""
    counts = []
    for total in (1, 50):
        with app.app_context():
            db.drop_all()
            db.create_all()
        add_blogs(app, total, tags=1 if total == 1 else 5)
        client = app.test_client()
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_a_large_site_gets_a_sitemap_index(app, client, make_blog):
    """Over SITEMAP_MAX_URLS URLs, /sitemap.xml lists parts that hold every URL once."""
    for n in range(4):
        make_blog(f"Entry {n}", tags=["news"])
    app.config["SITEMAP_MAX_URLS"] = 3
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = client.get("/sitemap.xml")
    assert index.mimetype == "application/xml"
    root = ET.fromstring(index.data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [el.text for el in root.iterfind("s:sitemap/s:loc", ns)]
    assert parts == [f"http://localhost/sitemap-{n}.xml" for n in (1, 2, 3)]
    assert all(el.text for el in root.iterfind("s:sitemap/s:lastmod", ns))
    found = []
    for part in parts:
        response = client.get(part.removeprefix("http://localhost"))
        assert response.status_code == 200
        locs = [el.text for el in ET.fromstring(response.data).iterfind("s:url/s:loc", ns)]
        assert 1 <= len(locs) <= 3
        found += locs
    assert len(found) == len(set(found)) == 7  # home, four blogs, one author, one tag
    assert found[0] == "http://localhost/" and "http://localhost/tag/news/" in found
    for missing in ("/sitemap-0.xml", "/sitemap-4.xml", "/sitemap-99999999999.xml"):
        assert client.get(missing).status_code == 404


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_the_console(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines and "Disallow: /auth/" in lines
