"""A signed-in reader's page: one shared shell per page, their own parts filled in per request.

The shell is the page as every reader sees it; the header, flashed messages and a blog's
edit links are rendered for the reader on each request. These tests sign in several
readers and compare what each gets, and compare the assembled page with the same page
rendered in one go.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import request_finished
from flask_login import current_user
from jinja2 import ChoiceLoader, DictLoader

from blogsite.blog import views
from blogsite.caching.fragments import MEMO, PersonalInFragmentError
from blogsite.caching.generations import EXTENSION
from blogsite.caching.shells import fill, render_shell
from blogsite.extensions import db
from blogsite.models import Author, User
from blogsite.users import SignedIn, current_account

from .conftest import DEFAULT_PASSWORD
from .test_fragments import TOKEN, log_in, text_of

pytestmark = pytest.mark.redis

ALICE, BOB, STAFF = "+819031110000", "+819032220000", "+819033330000"
EDIT = re.compile(r'href="/blog/([^/]+)/edit"')
MY_BLOGS = re.compile(r'href="(/author/\d+/)">My blogs')


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url, "WTF_CSRF_ENABLED": True}


def signed_in(app: Any, phone_no: str) -> Any:
    """Return a logged-in test client that has seen its "You are logged in." message."""
    browser = log_in(app, phone_no)
    assert "You are logged in." in text_of(browser, "/auth/account")
    return browser


def shells(app: Any) -> dict[str, Any]:
    """Return the shared pages held in Redis, by key."""
    store = app.extensions[EXTENSION].store
    keys = store.client.keys(store.prefix + "shell:*")
    return {key.decode(): store.serializer.loads(store.client.get(key))["v"] for key in keys}


def test_the_assembled_page_is_the_page_rendered_in_one_go(app, make_user, make_blog, monkeypatch):
    make_user(ALICE, name="Alice")
    mine = make_blog("Mine", author_name="Alice", tags=["t1"])
    theirs = make_blog("Theirs", author_name="writer", content="Some `code`.")
    alice = signed_in(app, ALICE)
    paths = ["/", f"/blog/{mine}/", f"/blog/{theirs}/"]
    assembled = [text_of(alice, path) for path in paths]
    assert [text_of(alice, path) for path in paths] == assembled  # the second, from shells
    assert len(shells(app)) == 3
    monkeypatch.setattr(views, "signed_in", lambda: False)  # render_template, as before
    assert [text_of(alice, path) for path in paths] == assembled
    assert EDIT.findall(assembled[1]) == [mine] and EDIT.findall(assembled[2]) == []


def test_each_reader_gets_their_own_header_and_edit_links_on_a_shared_page(
    app, make_user, make_blog
):
    make_user(ALICE, name="Alice Private")
    make_user(BOB, name="Bob Private")
    make_user(STAFF, name="Staff", is_staff=True)
    slug = make_blog("Alices", author_name="Alice Private")
    bob = signed_in(app, BOB)
    assert EDIT.findall(text_of(bob, f"/blog/{slug}/")) == []  # Bob builds the shell
    alice, staff = signed_in(app, ALICE), signed_in(app, STAFF)
    for _ in range(2):
        pages = {name: text_of(browser, f"/blog/{slug}/") for name, browser in
                 (("alice", alice), ("bob", bob), ("staff", staff))}  # fmt: skip
        assert EDIT.findall(pages["alice"]) == [slug] and EDIT.findall(pages["staff"]) == [slug]
        assert EDIT.findall(pages["bob"]) == []
        tokens = {name: TOKEN.findall(page) for name, page in pages.items()}
        assert all(len(found) == 1 for found in tokens.values())
        assert len({found[0] for found in tokens.values()}) == 3  # each their own logout form
        mine = {name: MY_BLOGS.findall(page) for name, page in pages.items()}
        assert mine["alice"] == ["/author/1/"] and len({found[0] for found in mine.values()}) == 3
    assert len(shells(app)) == 1
    for shell in shells(app).values():
        text = str(shell)
        for personal in ("Log out", "/edit", "csrf", *(t[0] for t in tokens.values())):
            assert personal not in text


def test_a_flashed_message_is_shown_once_and_to_its_reader_only(app, make_user, make_blog):
    make_user(ALICE, name="Alice")
    make_user(BOB, name="Bob")
    make_blog("Anything")
    bob = signed_in(app, BOB)
    text_of(bob, "/")  # the home page's shell, built without Alice
    alice = log_in(app, ALICE)  # "You are logged in." waits in her session
    first = text_of(alice, "/")
    assert "You are logged in." in first
    assert "You are logged in." not in text_of(alice, "/")
    assert "You are logged in." not in text_of(bob, "/")
    assert all("logged in" not in str(shell) for shell in shells(app).values())


def test_a_draft_is_shown_to_its_writer_only_and_never_kept_in_a_shell(app, make_user, make_blog):
    make_user(ALICE, name="Alice")
    make_user(BOB, name="Bob")
    slug = make_blog("Draft", author_name="Alice", status="draft", content="Secret draft text")
    alice, bob = signed_in(app, ALICE), signed_in(app, BOB)
    for _ in range(2):
        assert bob.get(f"/blog/{slug}/").status_code == 404
        assert "Secret draft text" in text_of(alice, f"/blog/{slug}/")
    assert [page["shell"] for page in shells(app).values()] == [None]
    memo = app.extensions[MEMO]
    assert all("Secret draft" not in str(memo.get(k)) for k in memo.held() if "shell:" in k)


def test_a_scheduled_blog_comes_out_for_signed_in_readers_without_a_write(
    app, make_user, make_blog
):
    make_user(ALICE, name="Alice")
    make_user(BOB, name="Bob")
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    slug = make_blog("Soon", author_name="Alice", publish_at=due)
    alice, bob = signed_in(app, ALICE), signed_in(app, BOB)
    for _ in range(2):
        assert bob.get(f"/blog/{slug}/").status_code == 404
        assert "Soon" not in text_of(bob, "/")
        assert "scheduled" in text_of(alice, f"/blog/{slug}/")
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.2)
    assert "Soon" in text_of(bob, f"/blog/{slug}/") and "Soon" in text_of(bob, "/")
    assert "scheduled" not in text_of(alice, f"/blog/{slug}/")
    assert any(page["shell"] for page in shells(app).values())


def test_a_blog_cannot_forge_a_slot_for_a_readers_part(app, make_user, make_blog):
    make_user(ALICE, name="Alice")
    slug = make_blog("Forged", content="<!--personal:_nav.html--> text")
    alice = signed_in(app, ALICE)
    page = text_of(alice, f"/blog/{slug}/")
    assert page == text_of(alice, f"/blog/{slug}/")
    assert len(TOKEN.findall(page)) == 1  # one header, where the layout has it


def test_a_shell_refuses_a_personal_name_outside_a_part(app):
    templates = {"leak.html": "{{ personal('_flashes.html') }}{{ current_user.name }}",
                 "parts.html": "a{{ personal('_flashes.html') }}b"}  # fmt: skip
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), app.jinja_env.loader])
    with app.test_request_context("/"):
        with pytest.raises(PersonalInFragmentError, match="current_user"):
            render_shell("leak.html")
        shell = render_shell("parts.html")
        assert shell[0] == "a" and shell[1] == "_flashes.html" and shell[2] == "b"
        assert fill(shell) == "ab"


def test_the_password_check_on_the_account_page_still_reads_the_hash(app, make_user):
    make_user(ALICE, name="Alice")
    alice = log_in(app, ALICE)
    page = text_of(alice, "/auth/account")
    assert ALICE in page
    token = TOKEN.search(page).group(1)
    form = {"password-csrf_token": token, "password-current_password": "wrong one",
            "password-new_password": "another long password", "password-confirm":
            "another long password", "password-change_password": "1"}  # fmt: skip
    assert "not your current password" in alice.post("/auth/account", data=form).get_data(
        as_text=True
    )
    form["password-current_password"] = DEFAULT_PASSWORD
    assert alice.post("/auth/account", data=form).status_code in (302, 303)


def test_a_page_knows_its_reader_without_an_orm_user(app, make_user):
    make_user(ALICE, name="Alice")
    alice = signed_in(app, ALICE)
    seen: list[tuple[Any, ...]] = []

    def note(sender: Any, **extra: Any) -> None:
        users = [o for o in db.session.identity_map.values() if isinstance(o, User)]
        seen.append((type(current_user._get_current_object()), users, current_account()))

    with request_finished.connected_to(note, app):
        assert "Log out" in text_of(alice, "/")
    reader, orm_users, account = seen[0]
    assert reader is SignedIn and orm_users == []  # nothing built, nothing in the session
    assert isinstance(account, User) and account.name == "Alice"  # built when a view asks


LOGIN_NEXT = re.compile(r'href="/auth/login\?next=([^"]+)"')


def test_a_new_session_gets_a_header_with_its_own_token(app, make_user, make_blog):
    make_blog("Anything")
    make_user(ALICE, name="Alice")
    first, second = signed_in(app, ALICE), signed_in(app, ALICE)
    tokens = [TOKEN.findall(text_of(browser, "/")) for browser in (first, first, second)]
    assert tokens[0] == tokens[1] and len(tokens[0]) == 1
    assert tokens[2] != tokens[0] and len(tokens[2]) == 1
    assert second.post("/auth/logout", data={"csrf_token": tokens[2][0]}).status_code == 302
    assert "Log out" not in text_of(second, "/") and "Log out" in text_of(first, "/")


def test_the_logged_page_keeps_its_shell_and_each_page_its_login_link(app, make_blog):
    make_blog("One", author_name="first")
    make_blog("Two", author_name="second")
    anonymous = app.test_client()
    pages = [text_of(anonymous, f"/blog/blogs_logs/?author_id={n}") for n in (1, 1, 2, 1)]
    links = [LOGIN_NEXT.findall(page) for page in pages]
    assert links[0] == links[1] == links[3] == ["/blog/blogs_logs/?author_id%3D1"]
    assert links[2] == ["/blog/blogs_logs/?author_id%3D2"]
    assert pages[0] == pages[1] == pages[3] and "One" in pages[0] and "Two" in pages[2]
    assert sorted(key[key.index("blogs-logs") :] for key in shells(app)) == [
        "blogs-logs:1",
        "blogs-logs:2",
    ]
    with app.app_context():
        db.session.scalar(db.select(Author).filter_by(name="first")).name = "Renamed"
        db.session.commit()
    assert "Blogs by <a" in (page := text_of(anonymous, "/blog/blogs_logs/?author_id=1"))
    assert "Renamed" in page and ">first<" not in page
