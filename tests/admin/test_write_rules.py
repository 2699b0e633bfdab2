"""One set of write rules: the editor, the console and the CLI give the same answers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from blogsite.domain.validation import EMAIL_TAKEN
from blogsite.extensions import db
from blogsite.models import Author, Blog, CoverImage, Tag, User

from ..test_accounts import GOOD_PASSWORD, register
from .conftest import count
from .test_blogs import blog_form, ids
from .test_users import new_user, user_by_phone

SUPERUSER_ENV = {
    "BLOGSITE_SUPERUSER_PHONE_NO": "+81 90-1111-2222",
    "BLOGSITE_SUPERUSER_PASSWORD": "a long admin passphrase",
    "BLOGSITE_SUPERUSER_EMAIL": "Admin@Example.com",
}


def slug_of(app: Any, title: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Blog.slug).filter_by(title=title))


def editor_writes(client: Any, title: str, **fields: str) -> Any:
    data = {"title": title, "content": "Text.", "tags": "", "cover_image": ""}
    return client.post("/blog/new", data=data | {"status": "published"} | fields)


def console_writes(client: Any, app: Any, title: str, **fields: str) -> Any:
    author = ids(app, Author, name="Boss")  # the superuser's own profile
    return client.post("/admin/blogs/new/", data=blog_form(title=title, author=author, **fields))


@pytest.mark.parametrize("face", ["editor", "console"])
def test_the_same_title_gets_the_same_slug_in_the_editor_and_the_console(console, app, face):
    titles = {"Café Society!": "cafe-society", "New": "new-2", "日本": "post"}
    for title, slug in titles.items():
        if face == "editor":
            response = editor_writes(console, title)
        else:
            response = console_writes(console, app, title)
        assert response.status_code == 302, title
        # "new" is the editor's own path (/blog/new): no blog may shadow it, from either face.
        assert slug_of(app, title) == slug, (face, title)
    assert console.get("/blog/new-2/").status_code == 200


def test_seeded_slugs_are_the_ones_the_editor_gives(console, app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    assert slug_of(app, "first blog title") == "first-blog-title"
    # The same title through the editor is refused (titles are unique), its slug would clash.
    editor_writes(console, "Second Blog Title")
    console_writes(console, app, "Third blog title")
    assert slug_of(app, "Second Blog Title") == "second-blog-title"
    assert slug_of(app, "Third blog title") == "third-blog-title"


def test_a_tag_named_without_letters_gets_the_same_slug_everywhere(console, app):
    editor_writes(console, "Tagged", tags="日本")
    assert console.post("/admin/tags/new/", data={"name": "中国", "slug": ""}).status_code == 302
    with app.app_context():
        slugs = dict(db.session.execute(select(Tag.name, Tag.slug)).all())
    assert slugs == {"日本": "tag", "中国": "tag-2"}  # the console once made "post"


def test_an_invalid_link_is_refused_with_the_same_message(console, app):
    message = "The image link must start with http:// or https://."
    site = editor_writes(console, "Linked", cover_image="javascript:alert(1)")
    covers = console.post("/admin/cover-images/new/", data={"image_link": "javascript:alert(1)"})
    for response in (site, covers):
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert count(app, CoverImage) == 0 and count(app, Blog) == 0


def test_a_taken_email_is_refused_in_register_account_and_console(console, app, client, runner):
    with app.app_context():  # an author without an account holds the address
        db.session.add(Author(name="Guest", email="guest@example.com"))
        db.session.commit()
    console_page = console.post("/admin/users/new/", data=new_user(email="GUEST@example.com"))
    assert EMAIL_TAKEN in console_page.get_data(as_text=True)
    profile = {"profile-name": "Boss", "profile-email": "Guest@Example.com",
               "profile-save_profile": "Save"}  # fmt: skip
    account_page = console.post("/auth/account", data=profile)
    assert EMAIL_TAKEN in account_page.get_data(as_text=True)
    console.post("/admin/logout/")
    site_page = register(client, email=" guest@EXAMPLE.com ")
    assert EMAIL_TAKEN in site_page.get_data(as_text=True)
    env = SUPERUSER_ENV | {"BLOGSITE_SUPERUSER_EMAIL": "guest@example.com"}
    result = runner.invoke(args=["create-superuser", "--noinput"], env=env)
    assert result.exit_code != 0 and EMAIL_TAKEN in result.output
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == [None]  # only the superuser


def test_a_malformed_email_is_refused_by_the_cli_as_on_the_site(runner, app):
    env = SUPERUSER_ENV | {"BLOGSITE_SUPERUSER_EMAIL": "not-an-address"}
    result = runner.invoke(args=["create-superuser", "--noinput"], env=env)
    assert result.exit_code != 0 and "Enter a valid e-mail address." in result.output
    assert count(app, User) == 0


def shape(app: Any, phone_no: str) -> tuple:
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(phone_no=phone_no))
        author, scheme = user.author, user.password_hash.split(":")[0]
        same_name = author.name == (user.name or user.phone_no)
        return (user.is_staff, user.is_superuser, scheme, same_name, author.email == user.email)


def test_authors_made_by_the_cli_and_the_console_have_the_same_shape(console, app, runner):
    assert runner.invoke(args=["create-superuser", "--noinput"], env=SUPERUSER_ENV).exit_code == 0
    form = new_user(phone_no="+81 90-3333-4444", email="Made@Example.com", name="")
    form |= {"is_superuser": "y", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    assert console.post("/admin/users/new/", data=form).status_code == 302
    expected = (True, True, "scrypt", True, True)  # superusers are staff; a profile like theirs
    assert shape(app, "+819011112222") == shape(app, "+819033334444") == expected


def test_renaming_a_user_in_the_console_renames_their_author_as_the_account_page_does(console, app):
    form = new_user(email="first@example.com")
    assert console.post("/admin/users/new/", data=form).status_code == 302
    user = user_by_phone(app, "+819055550000")
    edit = {k: v for k, v in form.items() if k not in ("password", "confirm")}
    edit |= {"name": "Renamed", "email": "second@example.com"}
    assert console.post(f"/admin/users/edit/?id={user.id}", data=edit).status_code == 302
    with app.app_context():
        author = db.session.get(User, user.id).author
        assert (author.name, author.email) == ("Renamed", "second@example.com")


def test_deleting_a_blog_in_the_console_deletes_its_cover_as_the_editor_does(console, app):
    for face in ("editor", "console"):
        title = f"Covered by the {face}"
        editor_writes(console, title, cover_image="https://img.example/c.png")
        blog_id = ids(app, Blog, title=title)
        if face == "editor":
            console.post(f"/blog/{slug_of(app, title)}/delete")
        else:
            response = console.post("/admin/blogs/delete/", data={"id": str(blog_id)})
            assert response.status_code == 302
        assert count(app, Blog) == 0, face
        assert count(app, CoverImage) == 0, face
