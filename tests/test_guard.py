"""The edge guard: control characters get 400, JSON must be fields of strings, limits hold."""

from __future__ import annotations

import json
import socket

import pytest
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from .admin.conftest import SUPERUSER_PHONE, admin_login
from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE
from .servers import Gunicorn

LIMIT = 1024 * 1024  # MAX_CONTENT_LENGTH
URLENCODED = "application/x-www-form-urlencoded"
AS_JSON = {"Accept": "application/json"}
# Shapes Flask-WTF cannot build a form from; ``{field}`` is one of the route's own fields.
BAD_SHAPES = ["[1, 2]", '"x"', "true", "null", "5", '{{"{field}": 5}}',
              '{{"{field}": null}}', '{{"{field}": {{"a": "b"}}}}', '{{"{field}": ["a", 1]}}',
              '{{"{field}": true}}']  # fmt: skip
ANONYMOUS_FORMS = [("/auth/login", "phone_no"), ("/auth/register", "phone_no"),
                   ("/admin/login/", "phone_no")]  # fmt: skip
WRITER_FORMS = [("/blog/new", "title"), ("/auth/account", "profile-name")]
FILE_NAMED_WITH_NUL = (
    '--b\r\nContent-Disposition: form-data; name="cover"; filename="a\x00.png"'
    "\r\nContent-Type: image/png\r\n\r\nx\r\n--b--\r\n"
)
CONSOLE_FORMS = [("/admin/cache/invalidate-author/", "author_id"),
                 ("/admin/cache/invalidate-all/", "csrf_token")]  # fmt: skip


@pytest.fixture
def writer(client, auth, make_user):
    make_user()
    assert auth.login().status_code == 302
    return client


@pytest.fixture
def console(client, make_user):
    make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)
    assert admin_login(client, SUPERUSER_PHONE).status_code == 302
    return client


def assert_bad_request(response, words: str = "") -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "Bad request" in response.text and words in response.text
    assert "Traceback" not in response.text


def post_json(client, path: str, body: str, **kwargs):
    return client.post(path, data=body, content_type="application/json", **kwargs)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/blog/%00/"), ("GET", "/tag/%00/"), ("GET", "/blog/%00/edit"),
     ("POST", "/blog/%00/delete"), ("POST", "/blog/%00/edit"), ("GET", "/blog/a%1bb/")],
)  # fmt: skip
def test_a_control_character_in_a_slug_is_a_400_not_a_database_error(writer, method, path):
    # Logged in, so that the editor's routes reach the database (PostgreSQL refuses NUL).
    assert_bad_request(writer.open(path, method=method), "address contains a control character")


def check_shapes(client, routes: list[tuple[str, str]]) -> None:
    for path, field in routes:
        for shape in BAD_SHAPES:
            body = shape.format(field=field)
            response = post_json(client, path, body, headers=AS_JSON)
            assert response.status_code == 400, (path, body, response.text[:300])
            message = response.json["message"]
            if body.startswith("{"):
                assert message == f"{field} must be a string or a list of strings.", body
            else:
                assert message == "The JSON body must be an object of fields.", body
            assert response.json["status"] == 400 and response.json["request_id"]


def test_json_bodies_must_be_objects_of_strings_on_anonymous_forms(client):
    check_shapes(client, ANONYMOUS_FORMS)


def test_json_bodies_must_be_objects_of_strings_on_writer_forms(writer):
    check_shapes(writer, WRITER_FORMS)


def test_json_bodies_must_be_objects_of_strings_on_console_forms(console):
    check_shapes(console, CONSOLE_FORMS)


def test_html_clients_get_the_error_page_naming_the_field(client):
    response = post_json(client, "/auth/login", '{"phone_no": 5}')
    assert_bad_request(response, "phone_no must be a string")
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "body", ["{bad", "[" * 100_000, b'{"phone_no": "\xff"}', '{"a": "b"} tail', "\x00"]
)
def test_malformed_json_is_a_400(client, body):
    response = post_json(client, "/auth/login", body, headers=AS_JSON)
    assert response.status_code == 400
    assert response.json["message"] == "The body is not valid JSON."


def test_well_formed_json_still_logs_in(client, make_user):
    make_user()
    # Lists of strings are multi-value fields, as Flask-WTF reads them.
    body = {"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD, "remember": ["y"]}
    assert post_json(client, "/auth/login", json.dumps(body)).status_code == 302
    assert client.get("/auth/account").status_code == 200


@pytest.mark.parametrize(
    ("path", "kwargs", "words"),
    [("/?page=%01", {}, "page in the query string"),
     ("/?page=1%09", {}, "page in the query string"),  # tab: only body values may hold one
     ("/?pa%00ge=1", {}, "A name in the query string"),
     ("/auth/login?next=/%7F", {}, "next in the query string"),
     ("/auth/login", {"method": "POST", "data": {"phone_no": "+81\x00"}}, "phone_no in the form"),
     ("/auth/login", {"method": "POST", "data": {"pho\x1bne": "1"}}, "A name in the form"),
     ("/auth/login", {"method": "POST", "data": {"phone_no": "1\x0b"},
                      "content_type": "multipart/form-data"}, "phone_no in the form"),
     ("/auth/login", {"method": "POST", "data": FILE_NAMED_WITH_NUL,
                      "content_type": "multipart/form-data; boundary=b"}, "cover in the form"),
     ("/auth/login", {"method": "POST", "data": '{"phone_no": "+81\\u0000"}',
                      "content_type": "application/json"}, "phone_no in the JSON body"),
     ("/auth/login", {"method": "POST", "data": '{"pho\\u0007ne": "1"}',
                      "content_type": "application/json"}, "A name in the JSON body")],
)  # fmt: skip
def test_control_characters_anywhere_are_a_400(client, path, kwargs, words):
    assert_bad_request(client.open(path, **kwargs), words)
    assert client.open(path, headers=AS_JSON, **kwargs).json["status"] == 400


def test_a_control_character_in_a_cookie_is_a_400(client):
    client.set_cookie("theme", "dark\x01")
    assert_bad_request(client.get("/"), "theme in the cookies")
    assert client.get("/auth/login", headers=AS_JSON).json["status"] == 400


def test_a_multipart_part_without_a_field_name_is_a_400(client):
    # Werkzeug keys such a part under None; the guard's name check once raised TypeError (500).
    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
        b'--b\r\nContent-Disposition: form-data; name="phone_no"\r\n\r\n1\r\n--b--\r\n'
    )
    response = client.post("/auth/login", data=body, content_type="multipart/form-data; boundary=b")
    assert_bad_request(response, "has no name")


def test_tabs_and_line_breaks_in_body_values_are_fine(writer):
    text = "Line one\r\n\tindented\nline three"
    form = {"title": "Tabs", "content": text, "tags": "", "cover_image": "", "status": "published"}
    assert writer.post("/blog/new", data=form).status_code == 302
    assert writer.get("/blog/tabs/").status_code == 200
    as_json = json.dumps(form | {"title": "Tabs again"})
    assert post_json(writer, "/blog/new", as_json).status_code == 302


def test_urlencoded_bodies_get_the_multipart_limits(client, make_user):
    make_user()
    login = {"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD}
    many = login | {f"f{n}": "" for n in range(499)}  # MAX_FORM_PARTS is 500
    assert client.post("/auth/login", data=many).status_code == 413
    assert client.post("/auth/login", data=many, headers=AS_JSON).json["status"] == 413
    del many["f498"]
    assert client.post("/auth/login", data=many).status_code == 302
    client.post("/auth/logout")
    big = {"phone_no": "1", "password": "p" * (256 * 1024 + 1)}  # MAX_FORM_MEMORY_SIZE
    refused = client.post("/auth/login", data=big)
    assert refused.status_code == 413 and "larger than this site accepts" in refused.text
    # The limit counts decoded bytes, as multipart does: "é" is 2 bytes, sent as 6 ("%C3%A9").
    fits = {"phone_no": "1", "password": "é" * (128 * 1024)}
    assert client.post("/auth/login", data=fits, content_type=URLENCODED).status_code == 200
    over = {"phone_no": "1", "password": "é" * (128 * 1024) + "x"}
    assert client.post("/auth/login", data=over, content_type=URLENCODED).status_code == 413


def chunked(client, path: str, body: bytes, content_type: str = URLENCODED, **headers):
    """Send ``body`` as a chunked request: no Content-Length, ended by the server."""
    environ = EnvironBuilder(path=path, method="POST", data=body, content_type=content_type,
                             headers=headers).get_environ()  # fmt: skip
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True  # as gunicorn and Werkzeug's server set it
    return client.open(Request(environ))


def sized_form(size: int) -> bytes:
    """Return a urlencoded login form of exactly ``size`` bytes, each field within limits."""
    head = f"phone_no={DEFAULT_PHONE.replace('+', '%2B')}&password={DEFAULT_PASSWORD}".encode()
    body = head + b"".join(b"&f%d=" % n + b"x" * 200_000 for n in range(size // 200_000 + 1))
    return body[:size]


def test_chunked_bodies_over_the_limit_get_413_through_the_test_client(client, make_user):
    make_user()
    assert chunked(client, "/auth/login", sized_form(LIMIT + 1)).status_code == 413
    big_json = b'{"phone_no": "1"}' + b" " * LIMIT  # valid JSON once cut at the limit
    refused = chunked(client, "/auth/login", big_json, "application/json", **AS_JSON)
    assert refused.status_code == 413 and refused.json["status"] == 413
    assert chunked(client, "/auth/login", sized_form(LIMIT)).status_code == 302  # whole


def test_a_refused_body_stays_refused(app, client):
    seen = []

    @app.after_request
    def read_the_form_again(response):
        try:
            seen.append(dict(request.form))
        except RequestEntityTooLarge:
            seen.append("refused")
        return response

    many = {f"f{n}": "1" for n in range(600)}
    assert client.post("/", data=many, content_type="multipart/form-data").status_code == 413
    assert chunked(client, "/auth/login", sized_form(2 * LIMIT)).status_code == 413
    assert client.post("/", data=many).status_code == 413
    assert seen == ["refused"] * 3


def send_chunked(port: int, body: bytes) -> bytes:
    """POST ``body`` in 64 KiB chunks over a raw socket; return the status line."""
    head = (f"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {URLENCODED}"
            "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head)
        try:
            for start in range(0, len(body), 64 * 1024):
                part = body[start : start + 64 * 1024]
                sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before reading it all
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.slow
def test_chunked_bodies_over_the_limit_get_413_from_gunicorn(app, app_config, make_user):
    make_user()
    server = Gunicorn({"DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
                       "SECRET_KEY": "chunked-test", "BLOGSITE_SECURE_COOKIES": "0"})  # fmt: skip
    try:
        # Read whole, as a form (the login is refused for its missing CSRF token, not its size).
        assert send_chunked(server.port, sized_form(LIMIT)).endswith(b" 200 OK")
        assert b" 413 " in send_chunked(server.port, sized_form(LIMIT + 1))
        assert b" 413 " in send_chunked(server.port, sized_form(3 * LIMIT))
    finally:
        server.stop()


def test_the_guard_runs_before_the_limiter_csrf_and_page_cache(app):
    # Only the log binding (a request id for the error page) and the upload endpoints'
    # body limit (which the guard applies) run before it.
    names = [hook.__qualname__ for hook in app.before_request_funcs[None]]
    assert names[:3] == ["bind_request", "allow_upload_size", "guard_request"]
    assert any("Limiter" in name for name in names[2:])
    assert any("csrf_protect" in name for name in names[2:])
    # The page cache answers inside the view wrapper, after every before_request hook.
    assert not [scope for scope in app.before_request_funcs if scope]
