"""The Blogs view: the original's list_display, search, filters, editing, and bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from blogsite import caching
from blogsite.extensions import db
from blogsite.models import Author, Blog, CoverImage, Tag

from ..conftest import count_queries
from .conftest import audit_entries


def ids(app: Any, model: Any, **where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(model.id).filter_by(**where))


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """Tests marked ``redis`` run with the Redis cache (their own key prefix, from conftest)."""
    if request.node.get_closest_marker("redis"):
        return app_config | {"REDIS_URL": request.getfixturevalue("redis_url")}
    return app_config


def blog_form(**fields: Any) -> dict[str, str]:
    form = {"title": "", "slug": "", "author": "", "status": "published", "tags": ""}
    form.update(cover_image="", content="Some text.")
    return {**form, **{name: str(value) for name, value in fields.items()}}


def add_cover(app: Any, link: str) -> int:
    with app.app_context():
        cover = CoverImage(image_link=link)
        db.session.add(cover)
        db.session.commit()
        return cover.id


def test_list_shows_the_originals_columns(console, app, make_blog):
    cover = add_cover(app, "https://img.example/cover.png")
    make_blog("Listed blog", author_name="ann", tags=["tag1", "tag2"], cover_image_id=cover)
    html = console.get("/admin/blogs/").get_data(as_text=True)
    for text in ("Listed blog", "ann", "https://img.example/cover.png", "tag1, tag2",
                 "published", "Created", "Updated", "Cover image"):  # fmt: skip
        assert text in html, text


def test_search_filters_and_date_sorting(console, app, make_blog):
    make_blog("Alpha post", author_name="ann", tags=["red"], content="A zebra walks.")
    make_blog("Beta post", author_name="bob", tags=["blue"], status="draft")
    make_blog("Gamma post", author_name="bob", tags=["red", "blue"])

    def titles(**query: str) -> list[str]:
        html = console.get("/admin/blogs/", query_string=query).get_data(as_text=True)
        return [t for t in ("Alpha post", "Beta post", "Gamma post") if t in html]

    assert titles(search="zebra") == ["Alpha post"]  # content
    assert titles(search="gamma") == ["Gamma post"]  # title
    assert titles(flt0_author_contains="bob") == ["Beta post", "Gamma post"]
    assert titles(flt0_tag_is="red") == ["Alpha post", "Gamma post"]
    assert titles(flt0_status_equals="draft") == ["Beta post"]
    assert titles(flt0_tag_is="blue", flt1_status_equals="published") == ["Gamma post"]

    # Column 5 is "Created": oldest first, then newest first.
    oldest = console.get("/admin/blogs/?sort=5").get_data(as_text=True)
    newest = console.get("/admin/blogs/?sort=5&desc=1").get_data(as_text=True)
    assert oldest.index("Alpha post") < oldest.index("Gamma post")
    assert newest.index("Gamma post") < newest.index("Alpha post")


def test_tag_filter_lists_a_blog_once_whatever_its_tags(console, make_blog):
    make_blog("Twice tagged", tags=["tea", "teapot"])
    html = console.get("/admin/blogs/?flt0_tag_is=tea").get_data(as_text=True)
    assert html.count("Twice tagged") == 1
    assert "List (1)" in html


def make_many(app: Any, number: int, prefix: str) -> None:
    """Add ``number`` blogs, each by its own author with its own cover, all with two tags."""
    with app.app_context():
        tags = [Tag(name=f"{prefix}-one", slug=f"{prefix}-one"),
                Tag(name=f"{prefix}-two", slug=f"{prefix}-two")]  # fmt: skip
        for index in range(number):
            author = Author(name=f"{prefix} author {index}", email=f"{prefix}{index}@example.com")
            db.session.add(Blog(
                title=f"{prefix} blog {index}", slug=f"{prefix}-{index}", content="text",
                author=author, tags=tags,
                cover_image=CoverImage(image_link=f"https://img.example/{prefix}{index}.png"),
            ))  # fmt: skip
        db.session.commit()


def test_the_list_runs_the_same_number_of_queries_for_1_and_30_blogs(console, app):
    make_many(app, 1, "few")
    console.get("/admin/blogs/")  # warm up
    with count_queries(app) as one:
        assert console.get("/admin/blogs/").status_code == 200
    make_many(app, 30, "many")
    with count_queries(app) as thirty:
        html = console.get("/admin/blogs/").get_data(as_text=True)
    assert html.count("many author") == 20  # a full page, each row with its author
    assert html.count("many-one, many-two") == 20
    assert len(one) == len(thirty), (one, thirty)
    assert len(thirty) <= 6


def test_create_a_blog_with_tags_and_cover_then_edit_it(console, app, make_blog):
    make_blog("Seed", author_name="ann", tags=["tag1", "tag2"])
    author = ids(app, Author, name="ann")
    tag1, tag2 = ids(app, Tag, name="tag1"), ids(app, Tag, name="tag2")
    cover = add_cover(app, "https://img.example/new.png")
    response = console.post("/admin/blogs/new/", data=blog_form(
        title="Made in the console", author=author, tags=f"{tag1},{tag2}", cover_image=cover,
    ))  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        blog = db.session.scalar(select(Blog).filter_by(title="Made in the console"))
        assert blog.slug == "made-in-the-console"  # made from the title
        assert [tag.name for tag in blog.tags] == ["tag1", "tag2"]
        assert blog.cover_image.image_link == "https://img.example/new.png"
        blog_id = blog.id

    edit = blog_form(title="Renamed", slug="made-in-the-console", author=author, tags=tag1,
                     cover_image=cover)  # fmt: skip
    response = console.post(f"/admin/blogs/edit/?id={blog_id}", data=edit)
    assert response.status_code == 302
    with app.app_context():
        blog = db.session.get(Blog, blog_id)
        assert (blog.title, [t.name for t in blog.tags]) == ("Renamed", ["tag1"])
    assert audit_entries(app)[-1].changed_fields == ["tags", "title"]


@pytest.mark.redis
def test_console_edit_shows_on_the_public_pages_at_once(console, app, make_blog):
    with app.app_context():  # the shared Redis page cache, not the in-process one
        assert caching.cache_status()["backend"] == "RedisCache"
    slug = make_blog("Before the edit", author_name="ann")
    blog_id, author = ids(app, Blog, slug=slug), ids(app, Author, name="ann")
    pages = ("/", f"/blog/{slug}/", f"/author/{author}/")
    reader = app.test_client()  # anonymous: the visitor the page cache answers
    for url in pages:
        reader.get(url)
        cached = reader.get(url)
        assert cached.headers["X-Cache"] == "HIT", url
        assert "Before the edit" in cached.get_data(as_text=True), url

    form = blog_form(title="After the edit", slug=slug, author=author)
    assert console.post(f"/admin/blogs/edit/?id={blog_id}", data=form).status_code == 302

    for url in pages:
        response = reader.get(url)
        html = response.get_data(as_text=True)
        assert response.headers["X-Cache"] == "MISS", url
        assert "After the edit" in html and "Before the edit" not in html, url


def test_duplicates_are_form_errors_and_change_nothing(console, app, make_blog):
    make_blog("Taken title", author_name="ann")
    make_blog("Other blog", author_name="ann")
    cover = add_cover(app, "https://img.example/used.png")
    author = ids(app, Author, name="ann")
    with app.app_context():
        db.session.get(Blog, ids(app, Blog, title="Taken title")).cover_image_id = cover
        db.session.commit()
    other = ids(app, Blog, title="Other blog")
    before = len(audit_entries(app))

    # The form checks titles and covers; the database's unique slug is reported the same way.
    cases = [
        ({"title": "Taken title"}, "Already exists."),
        ({"cover_image": cover}, "This image is already the cover of “Taken title”."),
        ({"slug": "taken-title"}, "Another record already uses this value."),
    ]
    for changes, message in cases:
        form = blog_form(title="Other blog", slug="other-blog", author=author)
        form.update({name: str(value) for name, value in changes.items()})
        response = console.post(f"/admin/blogs/edit/?id={other}", data=form)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, message
        assert message in html.replace("&#34;", '"')
        assert "is-invalid" in html, message  # shown on the field, not only as a banner
    with app.app_context():
        blog = db.session.get(Blog, other)
        assert (blog.title, blog.slug, blog.cover_image_id) == ("Other blog", "other-blog", None)
        assert db.session.get(CoverImage, cover).blog.title == "Taken title"
    assert len(audit_entries(app)) == before  # a failed change leaves no audit entry


def test_bulk_publish_and_draft_actions_are_audited(console, app, make_blog):
    make_blog("Draft one", status="draft")
    make_blog("Draft two", status="draft")
    make_blog("Live", status="published")
    rows = [str(ids(app, Blog, title=t)) for t in ("Draft one", "Draft two", "Live")]
    response = console.post("/admin/blogs/action/", data={"action": "publish", "rowid": rows})
    assert response.status_code == 302
    with app.app_context():
        assert set(db.session.scalars(select(Blog.status))) == {"published"}
    # Only the two that changed are logged, each with the field that changed.
    assert [(e.object_repr, e.changed_fields) for e in audit_entries(app)] == [
        ("Draft one", ["status"]), ("Draft two", ["status"]),
    ]  # fmt: skip
    assert "Draft one" in app.test_client().get("/").get_data(as_text=True)
    console.post("/admin/blogs/action/", data={"action": "draft", "rowid": rows[2]})
    assert "Live" not in app.test_client().get("/").get_data(as_text=True)


@pytest.mark.parametrize("kind", ["get", "post"])
def test_malformed_requests_never_cause_a_server_error(console, app, make_blog, kind):
    make_blog("Sturdy", author_name="ann", tags=["tag1"])
    if kind == "get":
        urls = [
            "/admin/blogs/?page=-1", "/admin/blogs/?page=99999999999999999999999",
            "/admin/blogs/?sort=abc", "/admin/blogs/?sort=99&desc=x",
            "/admin/blogs/?search=" + "%25_" * 400, "/admin/blogs/?flt0_nope=1",
            "/admin/blogs/?flt9_tag_is=" + "x" * 5000, "/admin/blogs/edit/?id=abc",
            "/admin/blogs/edit/?id=99999999999999999999", "/admin/blogs/edit/?id=-1",
            "/admin/blogs/ajax/lookup/?name=author&query=a&limit=-1",
            "/admin/blogs/ajax/lookup/?name=author&query=a&offset=-5",
            "/admin/blogs/ajax/lookup/?name=author&query=a&limit=100000",
            "/admin/blogs/ajax/lookup/?name=nope&query=a", "/admin/blogs/ajax/lookup/",
            "/admin/users/password/99999999999999/", "/admin/audit/details/?id=x",
            "/admin/blogs/?search=a%00b", "/admin/blogs/?flt0_author_contains=%00",
            "/admin/blogs/ajax/lookup/?name=tags&query=%00",
        ]  # fmt: skip
        for url in urls:
            assert console.get(url).status_code < 500, url
        return
    posts = [
        ("/admin/blogs/new/", blog_form(title="X", author="abc", tags="x,y", cover_image="z")),
        ("/admin/blogs/new/", blog_form(title="Y", author="99999999999", status="bogus")),
        ("/admin/blogs/new/", blog_form(title="Z" * 500, author="1", slug="Not A Slug")),
        ("/admin/blogs/new/", {"title": ["a", "b"], "author": ["1", "2"]}),
        ("/admin/blogs/edit/?id=1", {"title": "\x00"}),
        ("/admin/tags/new/", {"name": "nul\x00tag"}),
        ("/admin/blogs/delete/", {"id": "abc"}),
        ("/admin/blogs/delete/", {"id": "99999999999999999999"}),
        ("/admin/blogs/action/", {"action": "delete", "rowid": ["abc", "-1", "9" * 30]}),
        ("/admin/blogs/action/", {"action": "no-such-action", "rowid": "1"}),
        ("/admin/blogs/ajax/update/", {"list_form_pk": "1", "title": "x"}),
    ]
    for url, data in posts:
        assert console.post(url, data=data).status_code < 500, (url, data)
    with app.app_context():
        assert db.session.scalars(select(Blog.title)).all() == ["Sturdy"]
