"""Metadata for link previews and search engines, every tag parsed: description, canonical,
OpenGraph, Twitter, JSON-LD, feed links, favicon, manifest and the sitemap's lastmods."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blogsite import create_app
from blogsite.extensions import db
from blogsite.metadata import cover_url
from blogsite.models import STATUS_DRAFT, Author, Blog, CoverImage, Tag

from .page_parts import Page

SITE = "https://blog.example.com"
COVER = "https://img.example/cover.jpg"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def blog(app: Any) -> str:
    """One published blog with a cover and two tags, by an author with a bio."""
    with app.app_context():
        author = Author(name="Aiko Tanaka", email="aiko@example.com", bio="Writes about trains.")
        blog = Blog(
            title="Night trains", slug="night-trains", author=author,
            content="The **last** train leaves at midnight.\n\n```python\nprint('hi')\n```",
            tags=[Tag(name="travel", slug="travel"), Tag(name="japan", slug="japan")],
            cover_image=CoverImage(image_link=COVER),
        )  # fmt: skip
        db.session.add(blog)
        db.session.commit()
        return blog.slug


def page(client: Any, path: str, **kwargs: Any) -> Page:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    return Page(response.get_data(as_text=True))


def test_blog_page_has_every_sharing_tag(client, blog):
    found = page(client, "/blog/night-trains/")
    description = found.one("description")
    assert description.startswith("The last train leaves at midnight.")
    assert [link["href"] for link in found.link("canonical")] == [
        "http://localhost/blog/night-trains/"
    ]
    assert found.one("og:type") == "article"
    assert found.one("og:title") == "Night trains"
    assert found.one("og:description") == description
    assert found.one("og:url") == "http://localhost/blog/night-trains/"
    assert found.one("og:image") == COVER
    assert found.one("og:site_name") == "blogsite"
    assert found.one("twitter:card") == "summary_large_image"
    assert found.one("twitter:title") == "Night trains"
    assert found.one("twitter:image") == COVER
    assert sorted(found.meta["article:tag"]) == ["japan", "travel"]
    [posting] = found.json_ld
    assert posting["@context"] == "https://schema.org" and posting["@type"] == "BlogPosting"
    assert posting["headline"] == "Night trains"
    assert posting["image"] == COVER
    assert posting["author"] == {"@type": "Person", "name": "Aiko Tanaka",
                                 "url": "http://localhost/author/1/"}  # fmt: skip
    published = datetime.fromisoformat(posting["datePublished"])
    modified = datetime.fromisoformat(posting["dateModified"])
    assert published.tzinfo is not None and modified >= published
    assert abs(datetime.now(UTC) - published) < timedelta(minutes=5)
    feeds = found.link("alternate", type="application/atom+xml")
    assert [link["href"] for link in feeds] == ["/feed.xml"]


def test_a_blog_without_cover_gets_a_summary_card_and_no_image(client, make_blog):
    make_blog("Plain words", content="Nothing to see.")
    found = page(client, "/blog/plain-words/")
    assert found.one("twitter:card") == "summary"
    assert "og:image" not in found.meta and "twitter:image" not in found.meta
    assert "image" not in found.json_ld[0]


def test_json_ld_cannot_be_broken_out_of(client, make_blog):
    """A title closing the script element stays data: JSON escapes, the same text."""
    title = "</script><script>alert(1)</script> & <!-- \u2028"
    make_blog(title, slug="evil", author_name="</script>")
    response = client.get("/blog/evil/")
    text = response.get_data(as_text=True)
    head = text[: text.index("</head>")]
    assert head.count("<script") == 1 and head.count("</script>") == 1
    [posting] = Page(text).json_ld
    assert posting["headline"] == title
    assert posting["author"]["name"] == "</script>"
    assert Page(text).find("script", type="application/ld+json")


def test_author_page_describes_a_person_and_links_its_feed(client, blog):
    found = page(client, "/author/1/")
    assert found.one("description") == "Writes about trains."
    assert found.one("og:type") == "profile"
    [person] = found.json_ld
    assert person == {
        "@context": "https://schema.org", "@type": "Person", "name": "Aiko Tanaka",
        "url": "http://localhost/author/1/", "description": "Writes about trains.",
    }  # fmt: skip
    feeds = [link["href"] for link in found.link("alternate", type="application/atom+xml")]
    assert feeds == ["/feed.xml", "/author/1/feed.xml"]
    assert client.get(feeds[1]).status_code == 200


def test_tag_page_links_its_feed(client, blog):
    found = page(client, "/tag/travel/")
    assert found.one("description") == "Blogs tagged #travel on blogsite."
    assert found.one("og:title") == "#travel"
    assert [link["href"] for link in found.link("canonical")] == ["http://localhost/tag/travel/"]
    feeds = [link["href"] for link in found.link("alternate", type="application/atom+xml")]
    assert feeds == ["/feed.xml", "/tag/travel/feed.xml"]


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/blog/night-trains/?utm_source=news&fbclid=x", "/blog/night-trains/"),
        ("/?page=1&utm_medium=social", "/"),
        ("/tag/travel/?ref=home", "/tag/travel/"),
        ("/author/1/?page=01", "/author/1/"),
    ],
)
def test_canonical_drops_tracking_parameters(client, blog, path, canonical):
    found = page(client, path)
    assert [link["href"] for link in found.link("canonical")] == ["http://localhost" + canonical]
    assert found.one("og:url") == "http://localhost" + canonical


def test_canonical_of_a_later_page_keeps_its_page(app, client, make_blog):
    app.config["BLOGS_PER_PAGE"] = 1
    for n in range(3):
        make_blog(f"Blog {n}")
    found = page(client, "/?page=2&utm_campaign=x")
    assert [link["href"] for link in found.link("canonical")] == ["http://localhost/?page=2"]


@pytest.mark.parametrize("path", ["/", "/blog/night-trains/", "/author/1/", "/tag/travel/"])
def test_canonical_and_images_respect_the_site_url(app_config, blog, path):
    from blogsite import create_app

    app = create_app(app_config | {"SITE_URL": SITE, "ALLOWED_HOSTS": "localhost,other.example"})
    client = app.test_client()
    found = page(client, path, headers={"Host": "other.example"})
    [canonical] = found.link("canonical")
    assert canonical["href"] == SITE + path
    assert found.one("og:url") == SITE + path
    for data in found.json_ld:
        assert data["url"].startswith(SITE + "/")


def test_cover_url_makes_a_site_path_absolute(app):
    """Uploaded covers are site paths (/media/...): previews need them absolute."""
    with app.test_request_context("/", base_url="http://localhost"):
        assert (
            cover_url({"cover_image": "/media/covers/a.jpg"})
            == "http://localhost/media/covers/a.jpg"
        )
        assert cover_url({"cover_image": COVER}) == COVER
        assert cover_url({"cover_image": None}) is None
    app.config["SITE_URL"] = SITE
    with app.test_request_context("/", base_url="http://other.example"):
        assert cover_url({"cover_image": "/media/covers/a.jpg"}) == SITE + "/media/covers/a.jpg"


def test_site_description_describes_the_home_page_and_the_manifest(app, app_config):
    client = create_app(app_config | {"SITE_DESCRIPTION": "Slow travel, by rail."}).test_client()
    found = page(client, "/")
    assert found.one("description") == "Slow travel, by rail."
    assert found.one("og:description") == "Slow travel, by rail."
    assert found.one("og:type") == "website"
    assert client.get("/manifest.webmanifest").json["description"] == "Slow travel, by rail."


def test_favicon_and_manifest_are_served_with_their_types(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.data)
    assert body["name"] == "blogsite" and body["start_url"] == "/"
    kinds = {}
    for icon_entry in body["icons"]:
        served = client.get(icon_entry["src"])
        assert served.status_code == 200, icon_entry
        kinds[icon_entry["sizes"]] = served.mimetype
    assert kinds == {"any": "image/svg+xml", "192x192": "image/png", "512x512": "image/png"}
    found = page(client, "/")
    assert [link["href"] for link in found.link("manifest")] == ["/manifest.webmanifest"]
    for link in found.link("icon"):
        assert client.get(link["href"]).status_code == 200


def lastmods(client: Any) -> dict[str, str]:
    root = ET.fromstring(client.get("/sitemap.xml").data)
    return {
        url.findtext(f"{SITEMAP}loc") or "": url.findtext(f"{SITEMAP}lastmod") or ""
        for url in root.iter(f"{SITEMAP}url")
    }


def test_sitemap_lastmod_of_authors_and_tags_follows_their_published_blogs(app, client):
    """A tag's lastmod is its newest published blog; an author's, their latest change."""
    day = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        tag, quiet = Tag(name="rail", slug="rail"), Tag(name="quiet", slug="quiet")
        author = Author(name="Ken", email="ken@example.com")
        db.session.add_all([
            Blog(title="Old", slug="old", content="x", author=author, tags=[tag, quiet],
                 created_at=day, updated_at=day),
            Blog(title="New", slug="new", content="x", author=author, tags=[tag],
                 created_at=day + timedelta(days=3), updated_at=day + timedelta(days=4)),
            Blog(title="Draft", slug="draft", content="x", author=author, tags=[tag, quiet],
                 status=STATUS_DRAFT, created_at=day + timedelta(days=9),
                 updated_at=day + timedelta(days=9)),
        ])  # fmt: skip
        db.session.flush()
        # Tags created "before" their blogs (a tag's own row changes only on rename).
        db.session.execute(db.update(Tag).values(updated_at=day - timedelta(days=30)))
        db.session.commit()
    found = lastmods(client)
    assert found["http://localhost/tag/rail/"] == "2026-05-04T12:00:00Z"  # "New", not the draft
    assert found["http://localhost/tag/quiet/"] == "2026-05-01T12:00:00Z"  # the draft is not read
    assert found["http://localhost/author/1/"] == "2026-05-05T12:00:00Z"  # New's last edit
    with app.app_context():
        db.session.execute(db.update(Blog).where(Blog.slug == "draft").values(status="published"))
        db.session.commit()
    found = lastmods(client)
    assert found["http://localhost/tag/quiet/"] == "2026-05-10T12:00:00Z"
    assert found["http://localhost/tag/rail/"] == "2026-05-10T12:00:00Z"


def test_every_page_starts_with_a_skip_link_to_main(client, blog):
    for path in ("/", "/blog/night-trains/", "/author/1/", "/tag/travel/", "/auth/login"):
        found = page(client, path)
        first_link = found.find("a")[0]
        assert first_link == {"class": "skip-link", "href": "#main"}, path
        assert len(found.find("main", id="main")) == 1, path
