"""The audit log: one entry per change, in the change's own transaction, and read-only."""

from __future__ import annotations

from blogsite.extensions import db
from blogsite.models import Tag

from .conftest import STAFF_PHONE, admin_login, audit_entries, count


def test_create_change_and_delete_each_leave_one_entry(console, app, superuser):
    console.post("/admin/tags/new/", data={"name": "audited", "slug": ""})
    with app.app_context():
        tag_id = db.session.query(Tag.id).scalar()
    console.post(f"/admin/tags/edit/?id={tag_id}", data={"name": "renamed", "slug": "audited"})
    console.post(f"/admin/tags/edit/?id={tag_id}", data={"name": "renamed", "slug": "audited"})
    console.post("/admin/tags/delete/", data={"id": str(tag_id)})
    entries = audit_entries(app)
    summary = [(e.action, e.object_type, e.object_id, e.object_repr, e.changed_fields)
               for e in entries]  # fmt: skip
    assert summary == [
        ("created", "Tag", str(tag_id), "audited", ["name", "slug"]),
        ("changed", "Tag", str(tag_id), "renamed", ["name"]),
        ("changed", "Tag", str(tag_id), "renamed", []),  # saved without changes: still logged
        ("deleted", "Tag", str(tag_id), "renamed", []),
    ]
    assert {(e.user_id, e.actor) for e in entries} == {(superuser, f"#{superuser} Boss")}
    assert all(e.action_time is not None for e in entries)

    page = console.get("/admin/audit/").get_data(as_text=True)
    assert "renamed" in page and "deleted" in page
    assert "renamed" in console.get("/admin/").get_data(as_text=True)  # recent actions
    only = console.get("/admin/audit/?flt0_action_equals=created").get_data(as_text=True)
    assert "audited" in only and "List (1)" in only


def test_a_failed_change_leaves_no_entry(console, app):
    console.post("/admin/tags/new/", data={"name": "one", "slug": ""})
    console.post("/admin/tags/new/", data={"name": "two", "slug": ""})
    before = audit_entries(app)
    # Rejected by the database at commit time, after the entry was added to the session.
    response = console.post("/admin/tags/edit/?id=2", data={"name": "two", "slug": "one"})
    assert "Another record already uses this value." in response.get_data(as_text=True)
    # Rejected by the form before anything was written.
    console.post("/admin/tags/new/", data={"name": "one", "slug": ""})
    assert len(audit_entries(app)) == len(before) == 2


def test_nobody_can_add_edit_or_delete_entries(console, app, staff):
    console.post("/admin/tags/new/", data={"name": "kept", "slug": ""})
    (entry,) = audit_entries(app)
    for client_login in (None, STAFF_PHONE):  # the superuser, then plain staff
        if client_login:
            console.post("/admin/logout/")
            admin_login(console, client_login)
        assert console.get("/admin/audit/").status_code == 200
        assert console.get("/admin/audit/new/").status_code == 302  # flask-admin: not allowed
        assert console.get(f"/admin/audit/edit/?id={entry.id}").status_code == 302
        console.post("/admin/audit/new/", data={"actor": "forged", "action": "created"})
        console.post(f"/admin/audit/edit/?id={entry.id}", data={"actor": "forged"})
        console.post("/admin/audit/delete/", data={"id": str(entry.id)})
        console.post("/admin/audit/action/", data={"action": "delete", "rowid": str(entry.id)})
        assert (
            console.post("/admin/audit/ajax/update/", data={"list_form_pk": "1"}).status_code == 404
        )
        page = console.get("/admin/audit/").get_data(as_text=True)
        assert "/admin/audit/delete/" not in page and "/admin/audit/new/" not in page
    (after,) = audit_entries(app)
    assert (after.id, after.actor, after.action) == (entry.id, entry.actor, "created")
    assert count(app, Tag) == 1
