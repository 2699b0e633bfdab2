"""Users: no password hash anywhere, registration's password rules, and no self-lockout."""

from __future__ import annotations

from sqlalchemy import select

from blogsite.extensions import db
from blogsite.models import User

from ..conftest import DEFAULT_PASSWORD
from .conftest import SUPERUSER_PHONE, admin_login, audit_entries

GOOD_PASSWORD = "violet umbrella marathon"


def new_user(**fields: str) -> dict[str, str]:
    form = {"phone_no": "+81 90-5555-0000", "name": "Newcomer", "email": "", "city": "Osaka"}
    form |= {"is_active": "y", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    return form | fields


def user_by_phone(app, phone_no):
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(phone_no=phone_no))
        if user is not None:
            db.session.expunge(user)
        return user


def test_the_password_hash_is_never_shown_or_editable(console, app, superuser, staff):
    for url in ("/admin/users/", f"/admin/users/edit/?id={staff}", "/admin/users/new/",
                f"/admin/users/details/?id={staff}", "/admin/users/?search=scrypt"):  # fmt: skip
        html = console.get(url).get_data(as_text=True)
        assert "scrypt:" not in html and "password_hash" not in html, url
    with app.app_context():
        old_hash = db.session.get(User, staff).password_hash
    data = {"phone_no": "+819022220000", "name": "Editor", "is_active": "y", "is_staff": "y",
            "password_hash": "plain", "password": "plain"}  # fmt: skip
    assert console.post(f"/admin/users/edit/?id={staff}", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(User, staff).password_hash == old_hash


def test_create_a_user_with_the_registration_rules(console, app, client):
    weak = [("short", "too short"), ("1234567890123", "entirely numeric"),
            ("password123", "too common"), ("newcomer1234", "too similar")]  # fmt: skip
    for password, problem in weak:
        form = new_user(password=password, confirm=password)
        response = console.post("/admin/users/new/", data=form)
        assert response.status_code == 200
        assert problem in response.get_data(as_text=True), password
    response = console.post("/admin/users/new/", data=new_user(confirm="something else entirely"))
    assert "The two passwords differ." in response.get_data(as_text=True)
    assert user_by_phone(app, "+819055550000") is None

    response = console.post("/admin/users/new/", data=new_user(email="New@Example.com"))
    assert response.status_code == 302
    user = user_by_phone(app, "+819055550000")  # normalised
    assert (user.email, user.city, user.is_staff) == ("new@example.com", "Osaka", False)
    with app.app_context():
        assert db.session.get(User, user.id).author.name == "Newcomer"
    assert user.check_password(GOOD_PASSWORD)
    entry = audit_entries(app)[-1]
    assert (entry.action, entry.object_type) == ("created", "User")
    assert "password" in entry.changed_fields and "password_hash" not in entry.changed_fields


def test_phone_and_email_must_be_valid_and_unique(console, app, staff):
    cases = [
        ({"phone_no": "+81 90 2222 0000"}, "Already exists."),  # the staff member's number
        ({"phone_no": "not a phone"}, "A phone number may only contain digits"),
        ({"phone_no": "12"}, "A phone number has 8 to 15 digits"),
        # E-mail addresses follow the site's rule (users and authors), with its message.
        (
            {"email": "BOSS@example.com", "phone_no": "+819077770000"},
            "An account with this e-mail address already exists.",
        ),
    ]
    with app.app_context():
        db.session.get(User, staff).email = "boss@example.com"
        db.session.commit()
    for fields, message in cases:
        response = console.post("/admin/users/new/", data=new_user(**fields))
        assert response.status_code == 200, fields
        assert message in response.get_data(as_text=True), fields
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 2


def test_set_password_page_applies_the_rules(console, app, staff, client):
    url = f"/admin/users/password/{staff}/"
    assert "Set the password of Editor" in console.get(url).get_data(as_text=True)
    weak = console.post(url, data={"password": "editor", "confirm": "editor"})
    assert "too short" in weak.get_data(as_text=True)
    response = console.post(url, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    assert console.get("/admin/users/").status_code == 200
    with app.app_context():
        user = db.session.get(User, staff)
        assert user.check_password(GOOD_PASSWORD) and not user.check_password(DEFAULT_PASSWORD)
    entry = audit_entries(app)[-1]
    assert (entry.action, entry.changed_fields, entry.object_id) == (
        "changed",
        ["password"],
        str(staff),
    )
    assert console.get("/admin/users/password/424242/").status_code == 404


def test_a_superuser_cannot_lock_themselves_out(console, app, superuser, staff):
    own = {"phone_no": SUPERUSER_PHONE, "name": "Boss", "is_active": "y", "is_staff": "y"}
    response = console.post(f"/admin/users/edit/?id={superuser}", data=own)  # superuser unticked
    assert response.status_code == 200
    assert "You cannot remove your own superuser status." in response.get_data(as_text=True)

    response = console.post("/admin/users/delete/", data={"id": str(superuser)})
    assert response.status_code == 302
    assert "You cannot delete your own account." in console.get("/admin/users/").get_data(
        as_text=True
    )
    console.post(
        "/admin/users/action/", data={"action": "delete", "rowid": [str(superuser), str(staff)]}
    )
    with app.app_context():
        me = db.session.get(User, superuser)
        assert me is not None and me.is_superuser and me.is_active
        assert db.session.get(User, staff) is None  # the other one went

    # Another superuser may take the flag away; and superuser implies staff.
    promoted = {
        "phone_no": "+819044440000",
        "name": "Second",
        "is_active": "y",
        "is_superuser": "y",
    }
    assert console.post("/admin/users/new/", data=new_user(**promoted)).status_code == 302
    second = user_by_phone(app, "+819044440000")
    assert second.is_staff and second.is_superuser
    console.post("/admin/logout/")
    admin_login(console, "+819044440000", GOOD_PASSWORD)
    response = console.post(f"/admin/users/edit/?id={superuser}", data=own)
    assert response.status_code == 302
    assert not user_by_phone(app, SUPERUSER_PHONE).is_superuser
