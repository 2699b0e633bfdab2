"""Absolute URLs from BLOGSITE_SITE_URL, pages keyed by host without it, host names in any case."""

from __future__ import annotations

from typing import Any

import pytest

from blogsite import caching, create_app
from blogsite.config import ConfigError
from blogsite.site_url import absolute_url

SITE = "https://blog.example.com"
# Feeds, sitemaps, and the HTML pages with canonical, OpenGraph and JSON-LD links.
ABSOLUTE = ["/feed.xml", "/sitemap.xml", "/sitemap-1.xml", "/", "/blog/alpha/", "/author/1/",
            "/tag/news/", "/author/1/feed.xml", "/tag/news/feed.xml"]  # fmt: skip


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    # Two URLs per sitemap: /sitemap.xml becomes an index of parts, so all three kinds show.
    return app_config | {"REDIS_URL": redis_url, "ALLOWED_HOSTS": "localhost",
                         "SITEMAP_MAX_URLS": 2}  # fmt: skip


@pytest.fixture
def site_url(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["SITE_URL"] = SITE
    return app_config


@pytest.fixture
def blogs(make_blog: Any) -> None:
    make_blog("Alpha", author_name="writer", tags=["news"])


@pytest.mark.redis
@pytest.mark.parametrize("path", ABSOLUTE)
def test_an_odd_host_never_reaches_other_readers(client, blogs, path):
    """The issue's poisoning, without SITE_URL: each host gets its own cached copy."""
    poisoned = client.get(path, headers={"Host": "localhost:6666"})
    assert poisoned.status_code == 200 and b"http://localhost:6666/" in poisoned.data
    normal = client.get(path)
    assert normal.headers["X-Cache"] == "MISS"  # not the other host's copy
    assert b"localhost:6666" not in normal.data and b"http://localhost/" in normal.data
    again = client.get(path)
    assert again.headers["X-Cache"] == "HIT" and again.data == normal.data
    # Host names are case-insensitive: one spelling, one key.
    upper = client.get(path, headers={"Host": "LOCALHOST:6666"})
    assert upper.headers["X-Cache"] == "HIT" and upper.data == poisoned.data


@pytest.mark.redis
@pytest.mark.parametrize("path", ABSOLUTE)
def test_with_a_site_url_every_host_gets_its_urls(site_url, client, blogs, path):
    poisoned = client.get(path, headers={"Host": "localhost:6666"})
    assert poisoned.status_code == 200 and b"localhost" not in poisoned.data
    assert f"<loc>{SITE}/".encode() in poisoned.data or f'href="{SITE}/'.encode() in poisoned.data
    normal = client.get(path)
    assert normal.headers["X-Cache"] == "HIT"  # one copy for every host: it holds none
    assert normal.data == poisoned.data


@pytest.mark.redis
@pytest.mark.parametrize("site", [None, SITE])
def test_forwarded_proto_from_a_trusted_proxy_stays_with_its_scheme(app_config, blogs, site):
    app = create_app(app_config | {"TRUSTED_PROXIES": 1, "SITE_URL": site})
    client = app.test_client()
    forwarded = client.get("/feed.xml", headers={"X-Forwarded-Proto": "https"})
    plain = client.get("/feed.xml")
    if site is None:
        assert b'href="https://localhost/feed.xml"' in forwarded.data
        assert plain.headers["X-Cache"] == "MISS" and b"https://" not in plain.data
        assert b'href="http://localhost/feed.xml"' in plain.data
    else:
        assert f'href="{SITE}/feed.xml"'.encode() in forwarded.data
        assert plain.headers["X-Cache"] == "HIT" and plain.data == forwarded.data


@pytest.mark.parametrize("site", [None, SITE])
def test_robots_points_at_the_sitemap_on_the_site_url(app_config, site):
    client = create_app(app_config | {"SITE_URL": site}).test_client()
    robots = client.get("/robots.txt", headers={"Host": "localhost:6666"}).text
    expected = f"{site or 'http://localhost:6666'}/sitemap.xml"
    assert f"Sitemap: {expected}\n" in robots


def test_absolute_url_outside_a_request_uses_the_site_url(app_config):
    app = create_app(app_config | {"SITE_URL": SITE + "/"})
    with app.app_context():
        assert absolute_url("blog.detail", slug="a b") == f"{SITE}/blog/a%20b/"
        assert absolute_url("blog.sitemap_part", part=3) == f"{SITE}/sitemap-3.xml"


@pytest.mark.redis
def test_a_page_with_host_urls_is_never_stored_under_a_shared_key(app_config, monkeypatch):
    """A page left out of ABSOLUTE_URL_PAGES by mistake is served, never cached."""
    monkeypatch.setitem(caching.page_keys.PAGES, "hosty", ((), lambda view, args: ["lists"]))
    app = create_app(app_config)
    page = caching.cached_page(lambda: absolute_url("blog.index"))
    app.add_url_rule("/hosty/", "hosty", page)
    client = app.test_client()
    assert client.get("/hosty/", headers={"Host": "localhost:6666"}).text == (
        "http://localhost:6666/"
    )
    second = client.get("/hosty/")
    assert second.headers["X-Cache"] == "MISS" and second.text == "http://localhost/"


@pytest.mark.parametrize("host", ["LOCALHOST", "LocalHost:5000", "localhost"])
def test_allowed_hosts_match_in_any_case(client, blogs, host):
    response = client.get("/feed.xml", headers={"Host": host})
    assert response.status_code == 200
    assert f'href="http://{host.lower()}/feed.xml"'.encode() in response.data


@pytest.mark.parametrize("host", ["evil.example", "LOCALHOST.evil.example", "EVIL.example:80"])
def test_other_hosts_still_get_400_in_any_case(client, host):
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400
    assert "does not answer to that host name" in response.text


@pytest.mark.parametrize(
    "value",
    ["ftp://blog.example.com", "blog.example.com", "https://", "https://blog.example.com/blog",
     "https://blog.example.com/?a=1", "https://blog.example.com/#top",
     "https://user:pw@blog.example.com", "https://blog.example.com:99999",
     "https://blog example.com", "javascript:alert(1)"],
)  # fmt: skip
def test_a_bad_site_url_is_refused_at_start_up(app_config, value):
    with pytest.raises(ConfigError, match="BLOGSITE_SITE_URL"):
        create_app(app_config | {"SITE_URL": value})


@pytest.mark.parametrize(
    ("value", "stored"),
    [("https://Blog.Example.com/", SITE), ("http://localhost:8080", "http://localhost:8080"),
     ("", None), (None, None)],
)  # fmt: skip
def test_a_good_site_url_is_kept_in_one_spelling(app_config, value, stored):
    assert create_app(app_config | {"SITE_URL": value}).config["SITE_URL"] == stored


def test_the_site_url_comes_from_the_environment(app_config, monkeypatch):
    monkeypatch.setenv("BLOGSITE_SITE_URL", "https://env.example.org")
    client = create_app(app_config).test_client()
    assert "Sitemap: https://env.example.org/sitemap.xml" in client.get("/robots.txt").text
