"""A scheduled blog is dated by its publication: on top of every listing when it comes out.

A blog written Monday for Friday must not appear on Friday below Tuesday's blogs, dated
Monday: its listing date (created_at, and its copies on blog_tags) becomes its publish_at,
whichever writer set it (editor, console, ORM).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from blogsite.domain import publishing
from blogsite.extensions import db
from blogsite.models import Author, Blog, blog_tags
from blogsite.templating import iso_datetime

from .admin.conftest import SUPERUSER_PHONE, admin_login
from .test_scheduling import WRITER, editor_form, stored, utc

TITLES = ["Written Monday", "Tuesday", "Wednesday", "Thursday"]


def slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def order(body: str) -> list[str]:
    """Return the blogs a page links to, in the order it first links to each."""
    found = [m for m in re.findall(r"/blog/([a-z-]+)/", body) if m in map(slug, TITLES)]
    return list(dict.fromkeys(found))


def tag_link_dates(app: Any, title: str) -> set[datetime]:
    with app.app_context():
        blog_id = db.session.scalar(select(Blog.id).filter_by(title=title))
        links = select(blog_tags.c.created_at).where(blog_tags.c.blog_id == blog_id)
        rows = db.session.scalars(links)
        return {publishing.as_utc(value) for value in rows}


def test_a_scheduled_blog_comes_out_on_top_dated_by_its_publication(app, client, make_user):
    make_user(WRITER, name="Writer")
    client.post("/auth/login", data={"phone_no": WRITER, "password": "correct horse battery"})
    for title in TITLES:  # the first is a draft for now; the three others are out
        status = "draft" if title == "Written Monday" else "published"
        response = client.post("/blog/new", data=editor_form(title=title, status=status))
        assert response.status_code == 302, title
    now = datetime.now(UTC)
    with app.app_context():  # written on four days in a row
        for days, title in zip((4, 3, 2, 1), TITLES, strict=True):
            db.session.execute(
                update(Blog).filter_by(title=title).values(created_at=now - timedelta(days=days))
            )
        db.session.commit()
    # Scheduled (in the editor, with seconds) a couple of seconds ahead.
    due = (now + timedelta(seconds=2)).replace(microsecond=0) + timedelta(seconds=1)
    wall = publishing.to_local(due, app.config["TIMEZONE"]).strftime("%Y-%m-%dT%H:%M:%S")
    edit = client.post("/blog/written-monday/edit", data=editor_form(title=TITLES[0],
                                                                      publish_at=wall))  # fmt: skip
    assert edit.status_code == 302
    blog = stored(app, TITLES[0])
    assert utc(blog.publish_at) == due and utc(blog.created_at) == due
    assert tag_link_dates(app, TITLES[0]) == {due}  # the tag's listing copy follows
    client.post("/auth/logout")
    author = f"/author/{blog.author_id}/"
    pages = ["/", author, "/tag/news/", "/feed.xml", f"{author}feed.xml", "/tag/news/feed.xml",
             f"/blog/blogs_auto_invalidation/?author_id={blog.author_id}"]  # fmt: skip
    newer = [slug(title) for title in TITLES[:0:-1]]
    for path in pages:
        assert order(client.get(path).get_data(as_text=True)) == newer, path
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.3)

    stamp = iso_datetime(due)
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert order(body) == [slug(TITLES[0]), *newer], path
        if path.endswith("feed.xml"):  # published when it came out, never updated before
            assert f"<published>{stamp}</published>\n    <updated>{stamp}</updated>" in body, path
        elif "blogs_auto_invalidation" not in path:
            assert f'<time datetime="{stamp}">' in body, path
    page = client.get("/blog/written-monday/").get_data(as_text=True)
    assert f'<time datetime="{stamp}">' in page and "· updated" not in page
    assert f'"datePublished": "{stamp}"' in page.replace('":"', '": "')


def test_the_console_dates_a_blog_by_its_schedule_and_unscheduling_dates_it_now(
    app, client, make_user
):
    make_user(SUPERUSER_PHONE, name="Boss", is_superuser=True)
    assert admin_login(client, SUPERUSER_PHONE).status_code == 302
    with app.app_context():
        author = Author(name="Ann", email="ann@example.com")
        db.session.add(author)
        db.session.commit()
        author_id = author.id
    later = datetime(2030, 6, 1, 9, 30, tzinfo=UTC)
    form = {"title": "Console soon", "slug": "", "author": str(author_id), "status": "published",
            "cover_image": "", "content": "Text.", "publish_at": "2030-06-01T09:30"}  # fmt: skip
    assert client.post("/admin/blogs/new/", data=form).status_code == 302
    blog = stored(app, "Console soon")
    assert utc(blog.created_at) == later == utc(blog.publish_at)
    # Saved again with its time unchanged: still dated by it.
    saved = client.post(f"/admin/blogs/edit/?id={blog.id}", data=form | {"title": "Renamed"})
    assert saved.status_code == 302
    assert utc(stored(app, "Renamed").created_at) == later
    assert utc(stored(app, "Renamed").updated_at) == later  # not "updated" before it is out
    # No time any more: out now, so dated now (not 2030: it would top every listing for years).
    before = datetime.now(UTC)
    form |= {"title": "Renamed", "publish_at": ""}
    assert client.post(f"/admin/blogs/edit/?id={blog.id}", data=form).status_code == 302
    assert before <= utc(stored(app, "Renamed").created_at) <= datetime.now(UTC)


def test_a_blog_already_out_keeps_its_date_when_its_time_is_cleared(app, make_blog):
    out = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    make_blog("Out", tags=["news"], publish_at=out)
    blog = stored(app, "Out")
    assert utc(blog.created_at) == out
    with app.app_context():
        found = db.session.scalar(select(Blog).filter_by(title="Out"))
        publishing.set_publish_at(found, None)
        db.session.commit()
    assert utc(stored(app, "Out").created_at) == out
    assert tag_link_dates(app, "Out") == {out}
