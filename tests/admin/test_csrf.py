"""With CSRF on, no console form or POST action works without a valid token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blogsite.extensions import db
from blogsite.models import Blog, Tag, User

from ..conftest import DEFAULT_PASSWORD
from .conftest import SUPERUSER_PHONE, audit_entries, csrf_token
from .test_users import new_user


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def state(app, tag_id, staff):
    """Everything the forged requests below might change."""
    with app.app_context():
        user = db.session.get(User, staff)
        return (
            db.session.scalars(select(Tag.name)).all(),
            db.session.execute(select(Blog.title, Blog.status)).all(),
            db.session.scalars(select(User.phone_no).order_by(User.id)).all(),
            user.name, user.password_hash, len(audit_entries(app)),
        )  # fmt: skip


def test_every_console_post_needs_a_valid_token(client, app, superuser, staff, make_blog):
    make_blog("Guarded")
    login = {"phone_no": SUPERUSER_PHONE, "password": DEFAULT_PASSWORD}
    assert client.post("/admin/login/", data=login).status_code == 400
    assert client.get("/admin/").status_code == 302  # not logged in
    login["csrf_token"] = csrf_token(client.get("/admin/login/").get_data(as_text=True))
    assert client.post("/admin/login/", data=login).status_code == 302

    token = csrf_token(client.get("/admin/tags/new/").get_data(as_text=True))
    assert (
        client.post("/admin/tags/new/", data={"name": "kept", "csrf_token": token}).status_code
        == 302
    )
    tag_id = str(audit_entries(app)[-1].object_id)
    # The list's delete buttons and bulk actions carry the token too.
    listing = client.get("/admin/tags/").get_data(as_text=True)
    assert listing.count('name="csrf_token"') >= 2

    password = {"password": "violet umbrella marathon", "confirm": "violet umbrella marathon"}
    staff_form = {"phone_no": "+819022220000", "name": "Renamed", "is_active": "y", "is_staff": "y"}
    forged = [
        ("/admin/tags/new/", {"name": "sneaky"}),
        (f"/admin/tags/edit/?id={tag_id}", {"name": "changed", "slug": "kept"}),
        ("/admin/tags/delete/", {"id": tag_id}),
        ("/admin/tags/action/", {"action": "delete", "rowid": tag_id}),
        ("/admin/users/new/", new_user()),
        (f"/admin/users/edit/?id={staff}", staff_form),
        (f"/admin/users/password/{staff}/", password),
        ("/admin/users/delete/", {"id": str(staff)}),
        ("/admin/users/action/", {"action": "delete", "rowid": str(staff)}),
        ("/admin/blogs/action/", {"action": "draft", "rowid": "1"}),
        ("/admin/blogs/edit/?id=1", {"title": "Hijacked", "author": "1", "content": "x"}),
        ("/admin/blogs/ajax/update/", {"list_form_pk": "1", "title": "x"}),
        ("/admin/cache/invalidate-all/", {}),
        ("/admin/cache/invalidate-author/", {"author_id": "1"}),
        ("/admin/throttling/reset/", {"ip": "203.0.113.9"}),
        ("/admin/logout/", {}),
    ]
    before = state(app, tag_id, staff)
    for url, data in forged:
        if client.application.url_map.bind("localhost").test(url.split("?")[0], "POST"):
            for bad in ({}, {"csrf_token": "forged"}, {"csrf_token": token[:-4] + "AAAA"}):
                response = client.post(url, data={**data, **bad})
                assert response.status_code == 400, (url, bad)
                assert "CSRF" in response.get_data(as_text=True), url
    assert state(app, tag_id, staff) == before
    assert client.get("/admin/").status_code == 200  # the forged logout did not log us out

    # The same request with the token does go through: the check above is not vacuous.
    response = client.post("/admin/tags/delete/", data={"id": tag_id, "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Tag)).all() == []
