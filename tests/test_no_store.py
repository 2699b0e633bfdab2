"""Cache-Control: no-store on every personal and console page, and not on public ones."""

from __future__ import annotations

from typing import Any

import pytest

from .admin.conftest import SUPERUSER_PHONE, admin_login
from .test_security import CONSOLE_PAGES

PUBLIC = ["/", "/blog/mine/", "/author/1/", "/tag/news/", "/feed.xml", "/sitemap.xml",
          "/robots.txt", "/blog/blogs_anon_view/", "/static/css/site.css"]  # fmt: skip
LOGGED_IN = ["/auth/account", "/blog/new", "/blog/mine/edit", "/blog/mine/delete", "/",
             "/blog/mine/", "/feed.xml", "/blog/blogs_user_view/", "/no-such-page/"]  # fmt: skip


@pytest.fixture(params=["redis", "memory"])
def app_config(request: pytest.FixtureRequest, app_config: dict[str, Any]) -> dict[str, Any]:
    """With the page cache on Redis, and with the in-process fallback."""
    if request.param == "redis":
        return app_config | {"REDIS_URL": request.getfixturevalue("redis_url")}
    return app_config


@pytest.fixture
def own_blog(make_user: Any, make_blog: Any) -> None:
    """A user whose author profile wrote the blog ``mine``, tagged ``news``."""
    make_user(name="Reader")
    make_blog("Mine", author_name="Reader", tags=["news"])


def test_public_pages_for_anonymous_readers_may_be_kept(client, own_blog):
    for path in PUBLIC:
        for _ in range(2):  # a miss, then (for cached pages) a hit
            response = client.get(path)
            assert response.status_code == 200, path
            assert "no-store" not in response.headers.get("Cache-Control", ""), path


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/admin/login/", "/admin/"])
def test_pages_with_a_session_bound_form_are_no_store(client, path):
    response = client.get(path)
    assert response.status_code in (200, 302), path
    assert response.headers["Cache-Control"] == "no-store", path


def test_every_page_for_a_logged_in_user_is_no_store(client, auth, own_blog):
    assert auth.login().status_code == 302
    for path in LOGGED_IN:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "X-Cache" not in response.headers, path
    form = client.post("/blog/new", data={"title": "", "content": ""})  # shown again, with errors
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    # Static files are the same for everyone: the browser may keep them.
    static = client.get("/static/css/site.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_every_console_page_is_no_store(client, make_user, make_blog):
    make_blog(tags=["tag1"])
    make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)
    logged_in = admin_login(client, SUPERUSER_PHONE)
    assert logged_in.status_code == 302 and logged_in.headers["Cache-Control"] == "no-store"
    for path in [*CONSOLE_PAGES, "/admin/users/password/1/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    asset = client.get("/admin/static/admin/js/helpers.js")
    assert asset.status_code == 200 and "no-store" not in asset.headers.get("Cache-Control", "")
