"""Authors, tags and cover images: slugs made for you, links checked, duplicates explained."""

from __future__ import annotations

from sqlalchemy import select

from blogsite.extensions import db
from blogsite.models import Author, CoverImage, Tag

from .conftest import count


def test_tag_slug_is_made_from_the_name_when_left_empty(console, app):
    assert (
        console.post("/admin/tags/new/", data={"name": "Café Society", "slug": ""}).status_code
        == 302
    )
    # Another name that slugifies the same way gets a numbered slug, not an error.
    assert (
        console.post("/admin/tags/new/", data={"name": "cafe society!", "slug": ""}).status_code
        == 302
    )
    assert (
        console.post("/admin/tags/new/", data={"name": "Mine", "slug": "my-own"}).status_code == 302
    )
    with app.app_context():
        slugs = dict(db.session.execute(select(Tag.name, Tag.slug)).all())
    assert slugs == {"Café Society": "cafe-society", "cafe society!": "cafe-society-2",
                     "Mine": "my-own"}  # fmt: skip


def test_tag_duplicates_and_bad_slugs_are_form_errors(console, app):
    console.post("/admin/tags/new/", data={"name": "python", "slug": ""})
    for data, message in (
        ({"name": "python", "slug": ""}, "Already exists."),
        ({"name": "other", "slug": "python"}, "Another record already uses this value."),
        ({"name": "spaced", "slug": "Not A Slug"}, "Use lowercase letters, digits and single"),
        ({"name": "", "slug": ""}, "This field is required."),
        ({"name": "x" * 51, "slug": ""}, "Field cannot be longer than 50 characters."),
    ):
        response = console.post("/admin/tags/new/", data=data)
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), data
    assert count(app, Tag) == 1


def test_cover_image_links_must_be_http_and_show_their_dates(console, app):
    for link in ("javascript:alert(1)", "ftp://files.example/a.png", "/relative.png", "https://"):
        response = console.post("/admin/cover-images/new/", data={"image_link": link})
        assert response.status_code == 200, link
        assert "must start with http:// or https://" in response.get_data(as_text=True), link
    assert count(app, CoverImage) == 0

    good = {"image_link": "  https://img.example/a.png  "}
    assert console.post("/admin/cover-images/new/", data=good).status_code == 302
    with app.app_context():
        cover = db.session.scalar(select(CoverImage))
        assert cover.image_link == "https://img.example/a.png"
        assert cover.created_at is not None and cover.updated_at is not None
    html = console.get("/admin/cover-images/").get_data(as_text=True)
    assert "https://img.example/a.png" in html and "Created" in html and "Updated" in html


def test_author_emails_are_unique_but_may_be_left_empty(console, app):
    for name in ("First", "Second"):  # two authors without an address are fine
        response = console.post("/admin/authors/new/", data={"name": name, "email": "", "bio": ""})
        assert response.status_code == 302
    data = {"name": "Third", "email": "Writer@Example.com", "bio": "Line one\r\nLine two"}
    assert console.post("/admin/authors/new/", data=data).status_code == 302
    again = {"name": "Fourth", "email": "writer@example.COM", "bio": ""}
    response = console.post("/admin/authors/new/", data=again)
    assert response.status_code == 200
    assert "Already exists." in response.get_data(as_text=True)
    bad = console.post("/admin/authors/new/", data={"name": "Fifth", "email": "nope", "bio": ""})
    assert "Enter a valid e-mail address." in bad.get_data(as_text=True)
    with app.app_context():
        third = db.session.scalar(select(Author).filter_by(name="Third"))
        assert (third.email, third.bio) == ("writer@example.com", "Line one\nLine two")
    assert count(app, Author) == 4  # the superuser's own profile and three new ones
