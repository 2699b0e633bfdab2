"""Only staff get into the console; superusers alone manage users."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from blogsite.extensions import db
from blogsite.models import Blog, User

from ..conftest import DEFAULT_PASSWORD
from .conftest import READER_PHONE, STAFF_PHONE, SUPERUSER_PHONE, admin_login, count

CONSOLE_PAGES = [
    "/admin/",
    "/admin/blogs/",
    "/admin/blogs/new/",
    "/admin/blogs/edit/?id=1",
    "/admin/blogs/ajax/lookup/?name=author&query=a",
    "/admin/authors/",
    "/admin/tags/",
    "/admin/cover-images/",
    "/admin/users/",
    "/admin/users/password/1/",
    "/admin/audit/",
]


def test_anonymous_visitors_are_sent_to_the_console_login(client, make_blog):
    make_blog("Kept")
    for url in CONSOLE_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/admin/login/", url
        assert parse_qs(location.query) == {"next": [url]}, url
    # A POST is not worth coming back to after logging in; and it changes nothing.
    response = client.post("/admin/blogs/delete/", data={"id": "1"})
    assert response.headers["Location"] == "/admin/login/"
    assert count(client.application, Blog) == 1


def test_login_page_takes_staff_back_where_they_were_going(client, staff):
    page = client.get("/admin/login/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="phone_no"' in html and 'name="password"' in html
    assert "blogsite admin" in html

    wrong = client.post(
        "/admin/login/?next=/admin/tags/", data={"phone_no": STAFF_PHONE, "password": "nope"}
    )
    assert wrong.status_code == 200
    assert "correct phone number and password for a staff account" in wrong.get_data(as_text=True)
    assert client.get("/admin/tags/").status_code == 302

    # Formatted differently from the stored number, it is the same phone.
    right = client.post(
        "/admin/login/?next=/admin/tags/",
        data={"phone_no": "+81 90 2222 0000", "password": DEFAULT_PASSWORD},
    )
    assert right.headers["Location"] == "/admin/tags/"
    assert client.get("/admin/tags/").status_code == 200
    with client.application.app_context():
        assert db.session.get(User, staff).last_login is not None


def test_login_refuses_to_send_anyone_off_site(client, staff):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = admin_login_next(client, target)
        assert response.headers["Location"] == "/admin/", target
        client.post("/admin/logout/")


def admin_login_next(client, target):
    data = {"phone_no": STAFF_PHONE, "password": DEFAULT_PASSWORD}
    return client.post("/admin/login/", query_string={"next": target}, data=data)


def test_non_staff_cannot_log_in_to_the_console_and_get_403_when_logged_in(client, auth, reader):
    response = admin_login(client, READER_PHONE)
    assert response.status_code == 200
    assert "staff account" in response.get_data(as_text=True)

    auth.login(READER_PHONE)  # the site's own login works for them
    for url in ("/admin/", "/admin/blogs/", "/admin/audit/"):
        assert client.get(url).status_code == 403, url
    page = client.get("/admin/login/").get_data(as_text=True)
    assert "may not use the console" in page


def test_staff_run_the_blog_but_only_superusers_manage_users(client, staff, superuser):
    admin_login(client, STAFF_PHONE)
    home = client.get("/admin/").get_data(as_text=True)
    assert "Blogs" in home and "Audit log" in home
    assert 'href="/admin/users/"' not in home
    assert client.get("/admin/blogs/").status_code == 200
    for url in ("/admin/users/", "/admin/users/new/", f"/admin/users/password/{staff}/"):
        assert client.get(url).status_code == 403, url
    response = client.post("/admin/users/delete/", data={"id": str(superuser)})
    assert response.status_code == 403
    assert count(client.application, User) == 2

    client.post("/admin/logout/")
    admin_login(client, SUPERUSER_PHONE)
    assert 'href="/admin/users/"' in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/users/").status_code == 200


def test_logout_is_a_post_and_ends_the_session(console):
    assert console.get("/admin/logout/").status_code == 405
    assert console.get("/admin/").status_code == 200
    response = console.post("/admin/logout/")
    assert response.headers["Location"] == "/admin/login/"
    assert console.get("/admin/").status_code == 302
