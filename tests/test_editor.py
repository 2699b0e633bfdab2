"""Writing on the site: new, edit and delete blogs; who may; what is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert

from blogsite.extensions import db
from blogsite.models import STATUS_DRAFT, Author, Blog, CoverImage, Tag, User

from .test_accounts import errors, flashes

WRITER = "+819012345678"
OTHER = "+819011112222"


def blog_form(**fields):
    return {"title": "My first trip", "content": "We went to **Kyoto**.", "tags": "",
            "cover_image": "", "status": "published"} | fields  # fmt: skip


def write(client, **fields):
    return client.post("/blog/new", data=blog_form(**fields))


def rows(app, model) -> list:
    with app.app_context():
        return list(db.session.scalars(db.select(model).order_by(model.id)))


def blog_by_slug(app, slug: str) -> dict:
    with app.app_context():
        blog = db.session.scalar(db.select(Blog).filter_by(slug=slug))
        if blog is None:
            return {}
        return {"title": blog.title, "content": blog.content, "status": blog.status,
                "tags": [t.name for t in blog.tags], "author_user": blog.author.user_id,
                "cover": blog.cover_image.image_link if blog.cover_image else None}  # fmt: skip


@pytest.fixture
def writer(auth, make_user):
    """A logged-in writer (user id 1)."""
    make_user(WRITER, name="Writer")
    auth.login(WRITER)
    return auth


def test_anonymous_writers_log_in_and_come_back(client, make_user):
    make_user(WRITER)
    response = client.get("/blog/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fblog%2Fnew"
    login = client.post(response.headers["Location"],
                        data={"phone_no": WRITER, "password": "correct horse battery"})  # fmt: skip
    assert login.headers["Location"] == "/blog/new"
    assert client.post("/blog/nope/delete").status_code == 404  # logged in now
    client.post("/auth/logout")
    assert client.post("/blog/new", data=blog_form()).status_code == 302  # to the login page


def test_write_and_publish_a_blog(app, client, writer):
    response = write(
        client, tags=" Travel , travel,Japan,, #kyoto ", cover_image="https://img.example/k.jpg"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/blog/my-first-trip/"
    page = client.get("/blog/my-first-trip/")
    text = page.get_data(as_text=True)
    assert "Your blog is published." in flashes(page)
    assert "<strong>Kyoto</strong>" in text and 'href="/blog/my-first-trip/edit"' in text
    assert blog_by_slug(app, "my-first-trip") == {
        "title": "My first trip", "content": "We went to **Kyoto**.", "status": "published",
        "tags": ["Japan", "Travel", "kyoto"], "author_user": 1, "cover": "https://img.example/k.jpg",
    }  # fmt: skip
    assert [(t.name, t.slug) for t in rows(app, Tag)] == [
        ("Travel", "travel"), ("Japan", "japan"), ("kyoto", "kyoto")]  # fmt: skip
    assert "My first trip" in client.get("/").get_data(as_text=True)
    assert client.get("/tag/japan/").status_code == 200


def test_a_draft_is_for_its_writer_alone(app, client, writer):
    write(client, status="draft", title="Half done")
    page = client.get("/blog/half-done/")
    assert "Your draft is saved; only you can see it." in flashes(page)
    assert "Half done" not in client.get("/").get_data(as_text=True)
    assert "Your drafts" in client.get("/author/1/").get_data(as_text=True)
    writer.logout()
    assert client.get("/blog/half-done/").status_code == 404
    assert "Half done" not in client.get("/author/1/").get_data(as_text=True)


def test_tags_reuse_existing_names_whatever_their_case(app, client, writer, make_blog):
    make_blog("Older", tags=["tag1"])
    with app.app_context():
        db.session.add(Tag(name="c", slug="c"))
        db.session.commit()
    write(client, tags="TAG1, C++, C#, 日本")
    tags = {t.name: t.slug for t in rows(app, Tag)}
    assert tags == {"tag1": "tag1", "c": "c", "C++": "c-2", "C#": "c-3", "日本": "tag"}
    assert blog_by_slug(app, "my-first-trip")["tags"] == ["C#", "C++", "tag1", "日本"]


def test_slugs_are_unique_avoid_fixed_routes_and_survive_a_new_title(app, client, writer):
    write(client, title="Hello, World")
    write(client, title="Hello World!")
    write(client, title="New")
    write(client, title="ブログ")
    assert [b.slug for b in rows(app, Blog)] == ["hello-world", "hello-world-2", "new-2", "post"]
    response = client.post("/blog/hello-world/edit", data=blog_form(title="Goodbye"))
    assert response.headers["Location"] == "/blog/hello-world/"
    assert "Your changes are saved and published." in flashes(client.get("/blog/hello-world/"))
    assert blog_by_slug(app, "hello-world")["title"] == "Goodbye"
    assert client.get("/blog/new").status_code == 200  # still the editor


BAD_BLOGS = [
    ({"title": ""}, "Give your blog a title."),
    ({"title": "   "}, "Give your blog a title."),
    ({"title": "x" * 101}, "A title is at most 100 characters."),
    ({"title": "Tab\there"}, "Use letters, digits and punctuation only, on one line."),
    ({"title": "Two\r\nlines"}, "Use letters, digits and punctuation only, on one line."),
    ({"title": "Older one"}, "A blog with this title already exists; choose another."),
    ({"title": "OLDER ONE"}, "A blog with this title already exists; choose another."),
    ({"content": ""}, "Write something before you save."),
    ({"content": " \n\t "}, "Write something before you save."),
    ({"content": "x" * 100_001}, "A blog is at most 100,000 characters."),
    ({"cover_image": "javascript:alert(1)"}, "The image link must start with http:// or https://."),
    ({"cover_image": "ftp://img.example/a.png"}, "The image link must start with http:// or https://."),
    ({"cover_image": "/static/a.png"}, "The image link must start with http:// or https://."),
    ({"tags": ",".join(f"t{n}" for n in range(11))}, "Use at most 10 tags."),
    ({"tags": "y" * 51}, "A tag is at most 50 characters: “yyyyyyyyyyyyyyyyyyyy…”."),
    ({"status": "secret"}, "Not a valid choice."),
    ({"status": None}, "Choose draft or published."),
]  # fmt: skip


def test_bad_blogs_come_back_with_the_reason(app, client, writer, make_blog):
    make_blog("Older one")
    for fields, message in BAD_BLOGS:  # one login for all cases: hashing is slow on purpose
        form = blog_form(**{"tags": "brand new tag"} | fields)
        response = client.post("/blog/new", data={k: v for k, v in form.items() if v is not None})
        assert response.status_code == 200, fields
        assert message in errors(response), fields
    # Control characters other than tab and line breaks never reach the form (the guard).
    for fields in ({"title": "nul\x00"}, {"content": "nul \x00 byte"}, {"content": "\x1b[2J"}):
        assert client.post("/blog/new", data=blog_form(**fields)).status_code == 400, fields
    assert len(rows(app, Blog)) == 1 and rows(app, Tag) == []  # nothing half-saved


def test_hundred_character_title_is_fine(app, client, writer):
    assert write(client, title="x" * 100).status_code == 302


def test_a_save_that_loses_a_race_saves_nothing(app, client, writer, make_blog):
    """Another writer commits the same title between our check and our insert."""
    make_blog("Unrelated")  # an author to own the competing blog

    def competitor(session, flush_context, instances):
        with db.engine.begin() as conn:
            values = {"title": "Racing", "slug": "racing-elsewhere", "content": "first!",
                      "author_id": 1, "status": "published"}  # fmt: skip
            conn.execute(insert(Blog).values(**values))

    with app.app_context():
        event.listen(db.session, "before_flush", competitor, once=True)
        response = write(client, title="Racing", tags="fresh tag")
    assert response.status_code == 200
    assert "Someone saved a blog with this title" in response.get_data(as_text=True)
    assert "Racing" in response.get_data(as_text=True)  # the form keeps what was typed
    assert [b.slug for b in rows(app, Blog)] == ["unrelated", "racing-elsewhere"]
    assert rows(app, Tag) == []  # the new tag went with the failed transaction


def test_edit_changes_tags_and_cover(app, client, writer):
    write(client, tags="a, b", cover_image="https://img.example/1.jpg")
    page = client.get("/blog/my-first-trip/edit").get_data(as_text=True)
    assert 'value="a, b"' in page and 'value="https://img.example/1.jpg"' in page
    client.post(
        "/blog/my-first-trip/edit",
        data=blog_form(tags="b, c", cover_image="https://img.example/2.jpg"),
    )
    assert blog_by_slug(app, "my-first-trip")["tags"] == ["b", "c"]
    assert [c.image_link for c in rows(app, CoverImage)] == ["https://img.example/2.jpg"]
    client.post("/blog/my-first-trip/edit", data=blog_form(status="draft"))
    assert blog_by_slug(app, "my-first-trip")["cover"] is None and rows(app, CoverImage) == []
    assert blog_by_slug(app, "my-first-trip")["status"] == STATUS_DRAFT
    missing = client.post("/blog/my-first-trip/edit", data={"status": "published"})
    assert "Give your blog a title." in errors(missing)  # a missing field is not "unchanged"


def test_preview_renders_without_saving(app, client, writer):
    response = write(client, preview="y", content="Hi <script>alert(1)</script> <b>there</b>")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Preview (not saved yet)" in text
    assert "<b>there</b>" in text and "<script>alert" not in text
    assert rows(app, Blog) == []


def test_only_the_author_or_staff_may_change_a_blog(app, client, auth, make_user):
    make_user(WRITER, name="Writer")
    other_id = make_user(OTHER, name="Other")
    auth.login(WRITER)
    write(client, title="Mine")
    write(client, title="My draft", status="draft")
    auth.logout()
    assert client.get("/blog/mine/edit").status_code == 302  # anonymous: log in first
    auth.login(OTHER)
    assert 'href="/blog/mine/edit"' not in client.get("/blog/mine/").get_data(as_text=True)
    for path in ("/blog/mine/edit", "/blog/mine/delete"):
        assert client.get(path).status_code == 403
        assert client.post(path, data=blog_form(title="Hijacked")).status_code == 403
    assert "Forbidden" in client.get("/blog/mine/edit").get_data(as_text=True)
    assert client.get("/blog/my-draft/edit").status_code == 404  # a draft stays hidden
    assert client.get("/blog/nope/edit").status_code == 404
    assert client.get("/blog/" + "x" * 300 + "/edit").status_code == 404
    assert blog_by_slug(app, "mine")["title"] == "Mine"
    with app.app_context():
        db.session.get(User, other_id).is_staff = True
        db.session.commit()
    assert 'href="/blog/mine/edit"' in client.get("/blog/mine/").get_data(as_text=True)
    client.post("/blog/mine/edit", data=blog_form(title="Mine, tidied by staff"))
    assert blog_by_slug(app, "mine")["title"] == "Mine, tidied by staff"
    assert blog_by_slug(app, "mine")["author_user"] == 1  # still the writer's blog


def test_delete_asks_first_then_deletes(app, client, writer):
    write(client, cover_image="https://img.example/1.jpg", tags="keep")
    confirm = client.get("/blog/my-first-trip/delete")
    assert confirm.status_code == 200
    assert "Delete “My first trip”?" in confirm.get_data(as_text=True)
    assert len(rows(app, Blog)) == 1  # a GET deletes nothing
    response = client.post("/blog/my-first-trip/delete")
    assert response.headers["Location"] == "/author/1/"
    assert "“My first trip” is deleted." in flashes(client.get("/author/1/"))
    assert rows(app, Blog) == [] and rows(app, CoverImage) == []
    assert [t.name for t in rows(app, Tag)] == ["keep"]
    assert client.get("/blog/my-first-trip/").status_code == 404


def test_staff_without_an_author_profile_can_write(app, client, auth):
    with app.app_context():
        user = User(phone_no=WRITER, name="Admin", is_staff=True)
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
    auth.login(WRITER)
    assert write(client).status_code == 302
    assert [a.name for a in rows(app, Author)] == ["Admin"]
