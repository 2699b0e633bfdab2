"""Scheduled publishing: a blog with a publish_at to come is hidden from readers until then.

It then appears on every page, feed and sitemap with no write and no stale cache, in every
process; moving it back hides it again. The editor and the console read the time in
BLOGSITE_TIMEZONE.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import select

from blogsite.domain import publishing
from blogsite.extensions import db
from blogsite.models import Author, Blog

from .admin.conftest import SUPERUSER_PHONE, admin_login
from .servers import Gunicorn, shared_env
from .test_accounts import errors

WRITER = "+819012345678"


def editor_form(**fields: str) -> dict[str, str]:
    return {"title": "Soon", "content": "Coming **soon**.", "tags": "news", "cover_image": "",
            "status": "published", "publish_at": ""} | fields  # fmt: skip


def stored(app: Any, title: str) -> Blog | None:
    with app.app_context():
        blog = db.session.scalar(select(Blog).filter_by(title=title))
        if blog is not None:
            db.session.expunge(blog)
        return blog


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else publishing.as_utc(value)


def schedule(app: Any, title: str, moment: datetime | None, status: str = "published") -> None:
    """Change a blog's schedule through the ORM, as the editor and the console do."""
    with app.app_context():
        blog = db.session.scalar(select(Blog).filter_by(title=title))
        blog.publish_at = moment
        blog.status = status
        db.session.commit()


# ---------------------------------------------------------------- the editor and the console


@pytest.fixture
def tokyo(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["TIMEZONE"] = "Asia/Tokyo"
    return app_config


def test_the_editor_reads_the_time_in_the_site_time_zone(app_config, request):
    app_config["TIMEZONE"] = "Asia/Tokyo"  # BLOGSITE_TIMEZONE
    app, client = request.getfixturevalue("app"), request.getfixturevalue("client")
    request.getfixturevalue("make_user")(WRITER, name="Writer")
    client.post("/auth/login", data={"phone_no": WRITER, "password": "correct horse battery"})
    response = client.post("/blog/new", data=editor_form(publish_at="2030-01-01T09:00"))
    assert response.status_code == 302
    blog = stored(app, "Soon")
    assert blog is not None and utc(blog.publish_at) == datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your blog is scheduled: readers see it from 1 Jan 2030, 09:00 JST." in page
    assert 'class="badge">scheduled</span>' in page
    # The editor shows it back in Tokyo time; the writer's page lists it as scheduled.
    assert 'value="2030-01-01T09:00"' in client.get("/blog/soon/edit").get_data(as_text=True)
    mine = client.get(f"/author/{blog.author_id}/").get_data(as_text=True)
    assert "Your drafts and scheduled blogs" in mine and "1 Jan 2030, 09:00 JST" in mine
    # Readers see nothing of it.
    client.post("/auth/logout")
    assert client.get("/blog/soon/").status_code == 404
    for path in ("/", f"/author/{blog.author_id}/", "/tag/news/", "/feed.xml", "/sitemap.xml"):
        assert "soon" not in client.get(path).get_data(as_text=True).lower(), path


def test_emptying_the_time_publishes_at_once(app, client, make_user):
    make_user(WRITER, name="Writer")
    client.post("/auth/login", data={"phone_no": WRITER, "password": "correct horse battery"})
    client.post("/blog/new", data=editor_form(publish_at="2031-05-05T10:00"))
    assert utc(stored(app, "Soon").publish_at) == datetime(2031, 5, 5, 10, 0, tzinfo=UTC)  # UTC
    client.post("/blog/soon/edit", data=editor_form(publish_at=""))
    assert stored(app, "Soon").publish_at is None
    client.post("/auth/logout")
    assert client.get("/blog/soon/").status_code == 200


@pytest.mark.parametrize(
    ("zone", "value", "message"),
    [("UTC", "tomorrow", "Give a date and time such as"),
     ("UTC", "2030-13-45T25:00", "Give a date and time such as"),
     ("UTC", "2030-01-01T09:00" + "9" * 50, "Give a date and time such as"),
     ("Europe/Paris", "2030-03-31T02:30", "That time does not exist in Europe/Paris")],
)  # fmt: skip
def test_a_bad_time_is_a_form_error(app_config, zone, value, message, request):
    app_config["TIMEZONE"] = zone
    app, client = request.getfixturevalue("app"), request.getfixturevalue("client")
    request.getfixturevalue("make_user")(WRITER, name="Writer")
    client.post("/auth/login", data={"phone_no": WRITER, "password": "correct horse battery"})
    response = client.post("/blog/new", data=editor_form(publish_at=value))
    assert response.status_code == 200
    assert any(message in error for error in errors(response)), errors(response)
    assert stored(app, "Soon") is None


def test_the_console_schedules_in_the_site_time_zone(tokyo, app, client, make_user):
    make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)
    assert admin_login(client, SUPERUSER_PHONE).status_code == 302
    with app.app_context():
        author = Author(name="Ann", email="ann@example.com")
        db.session.add(author)
        db.session.commit()
        author_id = author.id
    form = {"title": "Console soon", "slug": "", "author": str(author_id), "status": "published",
            "tags": "", "cover_image": "", "content": "Text.",
            "publish_at": "2030-06-01T18:30"}  # fmt: skip
    response = client.post("/admin/blogs/new/", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    blog = stored(app, "Console soon")
    assert utc(blog.publish_at) == datetime(2030, 6, 1, 9, 30, tzinfo=UTC)
    listing = client.get("/admin/blogs/").get_data(as_text=True)
    assert "scheduled" in listing
    edit = client.get(f"/admin/blogs/edit/?id={blog.id}").get_data(as_text=True)
    assert 'value="2030-06-01T18:30"' in edit and 'type="datetime-local"' in edit
    bad = client.post("/admin/blogs/new/", data=form | {"title": "Bad", "publish_at": "soon"})
    assert bad.status_code == 200
    assert "Give a date and time such as" in bad.get_data(as_text=True)
    assert stored(app, "Bad") is None


# --------------------------------------------------- across the publication, two processes

PAGES = ["/", "/author/1/", "/tag/news/", "/feed.xml", "/sitemap.xml",
         "/blog/blogs_auto_invalidation/?author_id=1", "/blog/blogs_logs/?author_id=1"]  # fmt: skip


@pytest.fixture
def shared(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url}


def generations(config: dict[str, Any]) -> dict[bytes, bytes | None]:
    client = redis.Redis.from_url(config["REDIS_URL"])
    keys = sorted(client.keys(config["CACHE_KEY_PREFIX"] + "*gen:*"))
    return dict(zip(keys, client.mget(keys) if keys else [], strict=True))


def sees(server: Gunicorn, path: str, title: str) -> bool:
    """Return whether the page links to the blog (every listing, feed and sitemap does)."""
    status, _, body = server.get(path)
    assert status == 200, (path, status)
    return f"/blog/{title.lower().replace(' ', '-')}/" in body


@pytest.mark.redis
def test_a_scheduled_blog_appears_on_time_everywhere_with_warm_caches(shared, make_blog):
    """Both workers' pages, fragments and queries are warm; the time passes; no write."""
    make_blog("Already out", tags=["news"])
    make_blog("Secret soon", tags=["news"], publish_at=datetime.now(UTC) + timedelta(hours=1))
    first, second = Gunicorn(shared_env(shared)), Gunicorn(shared_env(shared))
    try:
        from blogsite import create_app

        app = create_app(shared)
        # Close enough to wait for, far enough for both servers to warm every page first.
        due = datetime.now(UTC) + timedelta(seconds=4)
        schedule(app, "Secret soon", due)
        for server in (first, second):
            for _ in range(2):  # the second round is served from the caches
                for path in PAGES:
                    assert not sees(server, path, "Secret soon"), path
                    assert sees(server, path, "Already out"), path
            assert server.get("/blog/secret-soon/")[0] == 404
        assert first.get("/")[1]["X-Cache"] == "HIT"
        before = generations(shared)
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.3)
        for server in (second, first):
            for path in PAGES:
                assert sees(server, path, "Secret soon"), path
            assert server.get("/blog/secret-soon/")[0] == 200
        assert generations(shared) == before  # nothing was written or bumped

        # Moved back to the future, or to draft: gone again at once from both.
        for moment, status in ((datetime.now(UTC) + timedelta(days=1), "published"),
                               (None, "draft")):  # fmt: skip
            schedule(app, "Secret soon", None, "published")
            for path in PAGES:  # warm again with the blog showing
                assert sees(first, path, "Secret soon"), path
            schedule(app, "Secret soon", moment, status)
            for server in (first, second):
                for path in PAGES:
                    assert not sees(server, path, "Secret soon"), (path, status)
                assert server.get("/blog/secret-soon/")[0] == 404
    finally:
        first.stop()
        second.stop()


@pytest.mark.redis
def test_a_page_cached_before_a_publication_expires_at_it(shared, make_blog):
    """In one process too: the page cache, the fragments and the queries expire together."""
    from blogsite import create_app

    app = create_app(shared)
    client = app.test_client()
    make_blog("Out", tags=["news"])
    make_blog("Due", tags=["news"], publish_at=datetime.now(UTC) + timedelta(seconds=1.5))
    client.get("/")
    hit = client.get("/")
    assert hit.headers["X-Cache"] == "HIT" and "Due" not in hit.get_data(as_text=True)
    time.sleep(1.7)
    later = client.get("/")
    assert later.headers["X-Cache"] == "MISS" and "Due" in later.get_data(as_text=True)
    assert client.get("/").headers["X-Cache"] == "HIT"  # the new page, with no expiry left


@pytest.mark.redis
def test_an_empty_listing_cached_before_the_first_publication_expires_at_it(shared, make_blog):
    """A listing's query tells when the next blog comes out; an empty one asks separately."""
    from blogsite import create_app

    app = create_app(shared)
    client = app.test_client()
    make_blog("First", tags=["news"], publish_at=datetime.now(UTC) + timedelta(seconds=1.5))
    for path in ("/", "/tag/news/", "/author/1/"):
        client.get(path)
        hit = client.get(path)
        assert hit.headers["X-Cache"] == "HIT" and "First" not in hit.get_data(as_text=True)
    time.sleep(1.7)
    for path in ("/", "/tag/news/", "/author/1/"):
        later = client.get(path)
        assert later.headers["X-Cache"] == "MISS" and "First" in later.get_data(as_text=True)


def test_visible_is_one_rule(app, make_blog):
    """Published and due; a draft with a past time, or a published blog to come, is hidden."""
    now = datetime.now(UTC)
    make_blog("Plain")
    make_blog("Past", publish_at=now - timedelta(minutes=1))
    make_blog("Future", publish_at=now + timedelta(minutes=1))
    make_blog("Draft past", status="draft", publish_at=now - timedelta(minutes=1))
    with app.app_context():
        shown = db.session.scalars(select(Blog.title).where(publishing.visible(now))).all()
        assert sorted(shown) == ["Past", "Plain"]
        assert publishing.next_publication(now) == publishing.as_utc(
            db.session.scalar(select(Blog.publish_at).filter_by(title="Future"))
        )


def test_someone_elses_scheduled_blog_is_not_there_for_a_writer(app, client, make_user, make_blog):
    make_blog("Not yet", publish_at=datetime.now(UTC) + timedelta(days=1))
    make_blog("Out", publish_at=datetime.now(UTC) - timedelta(days=1))
    make_user(WRITER, name="Writer")
    client.post("/auth/login", data={"phone_no": WRITER, "password": "correct horse battery"})
    assert client.get("/blog/not-yet/").status_code == 404
    assert client.get("/blog/not-yet/edit").status_code == 404  # 403 would say it exists
    assert client.get("/blog/out/edit").status_code == 403
