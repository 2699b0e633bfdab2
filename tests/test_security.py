"""Security headers, the admin policy, trusted hosts, size limits and cookie flags."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from blogsite.security import csp_hash, parse_hosts

from .admin.conftest import SUPERUSER_PHONE, admin_login
from .conftest import DEFAULT_PASSWORD, DEFAULT_PHONE

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def directives(policy: str) -> dict[str, list[str]]:
    """Split a Content-Security-Policy into {directive: [sources]}."""
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_site_headers(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'"] and csp["base-uri"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "https:", "data:"]


class InlineCode(HTMLParser):
    """Collect inline scripts, event-handler attributes and style attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.styles: list[str] = []
        self.javascript_urls: list[str] = []
        self.style_elements = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values)
        if tag == "style":
            self.style_elements += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(value or "")
            if name == "style":
                self.styles.append(value or "")
            if name == "href" and (value or "").startswith("javascript:"):
                self.javascript_urls.append(value or "")


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "path",
    ["/", "/blog/hostile/", "/author/1/", "/tag/t/", "/feed.xml", "/sitemap.xml",
     "/auth/login", "/no-such-page/", "/static/css/site.css", "/?page=x"],
)  # fmt: skip
def test_every_response_has_the_security_headers(client, make_blog, path):
    make_blog("Hostile", author_name="writer", tags=["t"])
    response = client.get(path)
    assert response.status_code in (200, 400, 404)
    assert_site_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_site_pages_need_no_inline_script_or_style(app, client, make_blog):
    content = (
        "Hi <script>alert(1)</script> <img src=x onerror=alert(2)> "
        '<p style="color:red" onclick="alert(3)">x</p> <style>p{}</style>'
    )
    make_blog("Hostile", author_name="writer", tags=["t"], content=content)
    # Every page of the site without URL arguments, whoever built it, plus these.
    paths = {"/blog/hostile/", "/author/1/", "/tag/t/", "/nope/", "/?page=x"}
    for rule in app.url_map.iter_rules():
        public = not rule.rule.startswith(("/admin", "/static"))
        if "GET" in rule.methods and not rule.arguments and public:
            paths |= {rule.rule, f"{rule.rule}?author_id=1"}
    assert "/auth/login" in paths
    for path in sorted(paths):
        response = client.get(path)
        if response.mimetype.startswith("image/"):
            continue  # /favicon.ico: no markup to hold script
        page = inline_code(response.get_data(as_text=True))
        # The site's strict policy would block any of these, so there must be none. A data
        # block (JSON-LD) is not script: browsers never run it, so CSP does not apply.
        inline = [s for s in page.scripts if not s.get("src")]
        assert [s for s in inline if s.get("type") != "application/ld+json"] == [], path
        assert page.handlers == [] and page.styles == [] and page.style_elements == 0, path


def test_hsts_only_over_https(app, client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/").headers
    app.config["HSTS_MAX_AGE"] = 0
    assert "Strict-Transport-Security" not in client.get("/", base_url="https://localhost").headers


CONSOLE_PAGES = [
    "/admin/", "/admin/blogs/", "/admin/blogs/new/", "/admin/blogs/edit/?id=1",
    "/admin/authors/", "/admin/tags/", "/admin/tags/new/", "/admin/cover-images/",
    "/admin/users/", "/admin/audit/", "/admin/cache/", "/admin/throttling/",
]  # fmt: skip
BULK_ACTIONS = ("delete", "publish", "draft", "end_sessions")  # Blogs' and Users' menus


def test_admin_policy_nonces_the_consoles_scripts_and_hashes_its_handlers(
    app, client, make_user, make_blog
):
    # The real console, every kind of page, with a record in its lists.
    make_blog(tags=["tag1"])
    make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)
    login_page = client.get("/admin/login/")
    assert admin_login(client, SUPERUSER_PHONE).status_code == 302
    handlers: set[str] = set()
    urls: set[str] = set()
    policies: set[frozenset[str]] = set()
    nonces: set[str] = set()
    for response in [login_page, *(client.get(path) for path in CONSOLE_PAGES)]:
        assert response.status_code == 200, response.request.path
        csp = directives(response.headers["Content-Security-Policy"])
        assert "'unsafe-inline'" not in csp["script-src"] + csp["style-src"]
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
        nonce = next(s for s in csp["script-src"] if s.startswith("'nonce-"))[len("'nonce-") : -1]
        nonces.add(nonce)
        page = inline_code(response.text)
        # The login page runs no script at all (it carries no flask-admin JavaScript).
        is_login = response is login_page
        assert (page.scripts == []) if is_login else bool(page.scripts)
        assert all(s.get("nonce") == nonce for s in page.scripts)
        hashed = {s for s in csp["script-src"] if s.startswith("'sha256-")}
        for code in [*page.handlers, *page.javascript_urls]:
            assert csp_hash(code) in hashed, (response.request.path, code)
        handlers.update(page.handlers)
        urls.update(page.javascript_urls)
        policies.add(frozenset(hashed))
    # flask-admin's own templates: a delete button per row, the "With selected" menu of
    # every view's bulk actions, the "Add Filter" menu's items and its inert links.
    assert handlers == {
        "return false;",
        "return faHelpers.safeConfirm('Are you sure you want to delete this record?');",
        *(f"return modelActions.execute('{name}');" for name in BULK_ACTIONS),
    }
    assert urls == {"javascript:void(0)"}
    # One policy for the console, allowing exactly what its pages carry, nothing more.
    assert policies == {frozenset(csp_hash(code) for code in handlers | urls)}
    assert len(nonces) == len(CONSOLE_PAGES) + 1  # one per response: a seen nonce is spent
    # Its static files and anything else under /admin/ get the admin policy too.
    asset = client.get("/admin/static/admin/js/helpers.js")
    assert asset.status_code == 200
    assert "'unsafe-hashes'" in asset.headers["Content-Security-Policy"]
    assert_site_headers(client.get("/"))


def test_csp_hash_matches_the_browser_algorithm():
    # The example from the CSP3 specification's hash-source section.
    assert csp_hash("alert('Hello, world.');") == (
        "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("*", None), (" , ", None),
     ("blog.example.com", ["blog.example.com"]),
     ("Blog.Example.com, .example.org ,", ["blog.example.com", ".example.org"]),
     (["a.example", "b.example"], ["a.example", "b.example"]),
     (("a.example", "B.example"), ["a.example", "b.example"])],
)  # fmt: skip
def test_allowed_hosts_parsing(value, expected):
    assert parse_hosts(value) == expected


def test_a_tuple_of_allowed_hosts_serves_them(app_config, request):
    # A tuple in instance/config.py was read as the string "('localhost',)": every host 400.
    app_config["ALLOWED_HOSTS"] = ("localhost",)
    client = request.getfixturevalue("client")
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200
    assert client.get("/", headers={"Host": "other.example"}).status_code == 400


@pytest.fixture
def hosts_config(app_config):
    app_config["ALLOWED_HOSTS"] = "blog.example.com,.example.org"
    return app_config


@pytest.mark.parametrize("host", ["blog.example.com", "blog.example.com:8080", "www.example.org"])
def test_allowed_hosts_are_served(hosts_config, client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example.net", "blog.example.com.evil.net", "bad host"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_other_hosts_get_a_clean_400_page(hosts_config, client, host, method):
    response = client.open("/auth/login", method=method, headers={"Host": host})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "does not answer to that host name" in body and "Traceback" not in body
    assert_site_headers(response)
    as_json = client.get("/", headers={"Host": host, "Accept": "application/json"})
    assert as_json.status_code == 400 and as_json.json["status"] == 400


def test_large_bodies_and_forms_get_the_413_page(client):
    too_big = client.post("/auth/login", data={"phone_no": "x" * (1024 * 1024 + 1)})
    assert too_big.status_code == 413
    assert "larger than this site accepts" in too_big.get_data(as_text=True)
    assert_site_headers(too_big)
    # Multipart forms are parsed field by field: under MAX_CONTENT_LENGTH, but one field
    # over MAX_FORM_MEMORY_SIZE (256 KiB), or more than MAX_FORM_PARTS (500) fields.
    multipart = "multipart/form-data"
    big_field = {"phone_no": "1", "password": "p" * 300_000}
    assert client.post("/auth/login", data=big_field, content_type=multipart).status_code == 413
    many = {f"f{n}": "1" for n in range(600)}
    assert client.post("/auth/login", data=many, content_type=multipart).status_code == 413
    json_client = {"Accept": "application/json"}
    as_json = client.post("/auth/login", data="x" * 2_000_000, headers=json_client)
    assert as_json.status_code == 413 and as_json.json["status"] == 413


@pytest.mark.parametrize(
    "path", ["/auth/login", "/auth/register", "/admin/login/", "/admin/tags/new/", "/"]
)
def test_oversized_forms_get_the_413_page_on_every_route(client, path):
    # Whoever reads the form first (a throttle key, a CSRF check, a view, or nobody at
    # all), a refused body is never handed on as an empty form.
    multipart = "multipart/form-data"
    big_field = {"phone_no": "1", "password": "p" * 300_000}
    many = {f"f{n}": "1" for n in range(600)}
    for data in (big_field, many):
        refused = client.post(path, data=data, content_type=multipart)
        assert refused.status_code == 413, path
        assert "larger than this site accepts" in refused.text
    too_long = client.post(path, data={"text": "x" * (1024 * 1024 + 1)})
    assert too_long.status_code == 413


def test_normal_forms_fit_the_limits(client, auth, make_user):
    make_user()
    for content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        data = {"phone_no": "1", "password": "p" * 200_000, **{f"f{n}": "" for n in range(400)}}
        long_post = client.post("/auth/login", data=data, content_type=content_type)
        assert long_post.status_code == 200  # refused as a login, not for its size
    assert auth.login().status_code == 302


@pytest.fixture
def production_cookies(app_config):
    app_config.update(SECURE_COOKIES=True, WTF_CSRF_ENABLED=True)
    return app_config


def test_cookies_are_secure_httponly_and_samesite(production_cookies, app, client, make_user):
    make_user()
    page = client.get("/auth/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    login = client.post(
        "/auth/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/auth/login"},
        data={"phone_no": DEFAULT_PHONE, "password": DEFAULT_PASSWORD, "remember": "y",
              "csrf_token": token},
    )  # fmt: skip
    assert login.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in login.headers.getlist("Set-Cookie")}
    assert "session" in cookies  # and remember_token, when "remember me" uses flask-login's
    for cookie in cookies.values():
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags, cookie
