"""Pages asked for by number (``?page=N``, no ``after=``) start from page marks.

Whatever starts them, they must show exactly the blogs that counting from the top shows:
before and after every kind of write (through the ORM, in raw SQL, a scheduled blog
coming out), on the home, author and tag listings, with several workers building marks at
once, and on a database the site may only read. Caching is off here: every page is read
from the database, as in the scale benchmark (bench/scale.py).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, make_url, select, text, update

from blogsite import create_app
from blogsite.blog import page_marks_schema
from blogsite.commands import seed_bulk
from blogsite.domain import publishing
from blogsite.extensions import db
from blogsite.models import Author, Blog, Tag, blog_tags, utcnow

from .test_migrations import empty_database  # noqa: F401  (the fixture: both databases)

PER_PAGE = 8  # page 126 starts on the mark at 1,000, page 251 on the one at 2,000
BLOGS = 2_100
CARD = re.compile(r'<h2><a href="/blog/([^/"]+)/">')


@pytest.fixture
def site(app_config: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    """An app with caching off and 2,100 published blogs by one author (+ the tag "all")."""
    app_config.update(CACHE_ENABLED=False, BLOGS_PER_PAGE=PER_PAGE)
    app = request.getfixturevalue("app")
    with app.app_context():
        seed_bulk(1, BLOGS)
        everything = Tag(name="all", slug="all")
        db.session.add(everything)
        db.session.flush()
        links = select(Blog.id, everything.id, Blog.status, Blog.created_at, Blog.publish_at)
        columns = ["blog_id", "tag_id", "status", "created_at", "publish_at"]
        db.session.execute(insert(blog_tags).from_select(columns, links))
        db.session.commit()
    return app


def truth(app: Any, where: Any = None) -> list[str]:
    """Return the slugs readers see, newest first, counted from the top."""
    with app.app_context():
        stmt = select(Blog.slug).where(publishing.visible(utcnow()))
        if where is not None:
            stmt = stmt.where(where)
        slugs = db.session.scalars(stmt.order_by(Blog.created_at.desc(), Blog.id.desc())).all()
        db.session.remove()
        return list(slugs)


def shown(client: Any, path: str, page: int) -> list[str]:
    response = client.get(f"{path}?page={page}")
    assert response.status_code == 200, (path, page, response.status_code)
    return CARD.findall(response.get_data(as_text=True))


def expected(slugs: list[str], page: int) -> list[str]:
    return slugs[(page - 1) * PER_PAGE : page * PER_PAGE]


def marks(app: Any, listing: str) -> list[int]:
    """Return the positions of the listing's stored marks (any version)."""
    with app.app_context(), db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT position FROM listing_marks WHERE listing = :l ORDER BY position"),
            {"l": listing},
        )
        return [row[0] for row in found]


def last_page(slugs: list[str]) -> int:
    return -(-len(slugs) // PER_PAGE)


def assert_pages_match(client: Any, path: str, slugs: list[str]) -> None:
    """Pages before, on and after each mark, and the last, show what counting shows."""
    for page in (1, 125, 126, 127, 250, 251, 252, last_page(slugs) - 1, last_page(slugs)):
        assert shown(client, path, page) == expected(slugs, page), (path, page)
    assert client.get(f"{path}?page={last_page(slugs) + 1}").status_code == 404


def test_pages_by_number_show_what_counting_from_the_top_shows(site, client):
    slugs = truth(site)
    assert len(slugs) > 2_000 and marks(site, "home") == []
    assert shown(client, "/", 125) == expected(slugs, 125)  # offset 992: no mark needed
    assert marks(site, "home") == []
    assert_pages_match(client, "/", slugs)
    assert marks(site, "home")[:3] == [0, 1_000, 2_000]  # built by the first deep page


def test_a_page_by_number_starts_at_its_nearest_mark(site, client):
    slugs = truth(site)
    assert shown(client, "/", 126) == expected(slugs, 126)  # builds the marks
    with site.app_context(), db.engine.begin() as conn:  # move mark 1,000 to entry 1,500
        entry = conn.execute(
            select(Blog.created_at, Blog.id).where(Blog.slug == slugs[1_500])
        ).one()
        conn.execute(
            text("UPDATE listing_marks SET sort_key = :k, blog_id = :i WHERE position = 1000"),
            {"k": entry[0], "i": entry[1]},
        )
    assert shown(client, "/", 126) == slugs[1_500:1_508]  # read from that mark, not counted
    assert shown(client, "/", 251) == expected(slugs, 251)  # the nearer mark, 2,000


def test_author_and_tag_pages_by_number_too(site, client):
    with site.app_context():
        author = db.session.scalar(select(Author.id).where(Author.email.like("%@bulk.example")))
        db.session.remove()
    assert_pages_match(client, f"/author/{author}/", truth(site, Blog.author_id == author))
    assert_pages_match(client, "/tag/all/", truth(site, Blog.tags.any(Tag.slug == "all")))
    with site.app_context():
        tag = db.session.scalar(select(Tag.id).where(Tag.slug == "all"))
        db.session.remove()
    assert marks(site, f"author:{author}")[:3] == [0, 1_000, 2_000]
    assert marks(site, f"tag:{tag}")[:3] == [0, 1_000, 2_000]


def test_every_kind_of_write_moves_the_pages_after_it(site, client, make_blog):
    assert_pages_match(client, "/", truth(site))  # marks built
    make_blog("A new one", tags=["all"])  # through the ORM, newest: every page moves by one
    assert_pages_match(client, "/", truth(site))
    draft = text("UPDATE blogs SET status = :s WHERE slug = 'bulk-blog-1-5'")
    with site.app_context(), db.engine.begin() as conn:  # raw SQL, as an operator in psql
        assert conn.execute(draft, {"s": "draft"}).rowcount == 1
    # (A tag's copies of the status follow the app's writes only: the tag is not checked.)
    assert_pages_match(client, "/", truth(site))
    with site.app_context(), db.engine.begin() as conn:
        conn.execute(draft, {"s": "published"})
    assert_pages_match(client, "/", truth(site))
    with site.app_context():  # a bulk statement and a delete, through the session
        hidden = db.session.execute(
            update(Blog).where(Blog.slug == "bulk-blog-1-7").values(status="draft")
        )
        assert hidden.rowcount == 1
        db.session.delete(db.session.scalar(select(Blog).filter_by(slug="bulk-blog-1-9")))
        db.session.commit()
    assert_pages_match(client, "/", truth(site))
    assert_pages_match(client, "/tag/all/", truth(site, Blog.tags.any(Tag.slug == "all")))
    with site.app_context():  # the newest blog dated back below every mark
        blog = db.session.scalar(select(Blog).filter_by(slug="a-new-one"))
        blog.created_at = utcnow() - timedelta(days=365)
        db.session.commit()
    slugs = truth(site)
    assert slugs[-1] == "a-new-one"
    assert_pages_match(client, "/", slugs)
    assert_pages_match(client, "/tag/all/", truth(site, Blog.tags.any(Tag.slug == "all")))


def test_a_scheduled_blog_moves_the_pages_when_it_comes_out(site, client, make_blog):
    soon = utcnow() + timedelta(seconds=5)
    make_blog("Scheduled", publish_at=soon)  # the newest blog, hidden until then
    before = truth(site)
    assert "scheduled" not in before
    assert_pages_match(client, "/", before)  # marks built while it is hidden
    assert utcnow() < soon, "the machine took too long to check the pages before"
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.1)
    after = truth(site)  # no write: only the time changed
    assert after[0] == "scheduled" and after[1:] == before
    assert_pages_match(client, "/", after)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_workers_building_marks_at_once_agree(site, caplog):
    slugs, page = truth(site), 251
    results: list[Any] = []

    def read() -> None:
        results.append(shown(site.test_client(), "/", page))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected(slugs, page)] * 8
    assert marks(site, "home")[:3] == [0, 1_000, 2_000]
    assert not [r for r in caplog.records if r.getMessage() == "page_marks.failed"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_writers_crossing_each_other_do_not_deadlock_on_the_version(site):
    """Two transactions each change a blog, then the other's: one waits, none is killed."""
    with site.app_context():
        engine = db.engine
        first, second = (
            engine.connect().execution_options(isolation_level="READ COMMITTED") for _ in "ab"
        )
    move = text("UPDATE blogs SET status = :s WHERE slug = :slug")
    errors: list[Exception] = []
    try:
        for connection in (first, second):
            connection.begin()
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))  # fail, never hang
        first.execute(move, {"s": "draft", "slug": "bulk-blog-1-1"})
        second.execute(move, {"s": "draft", "slug": "bulk-blog-1-2"})

        def cross() -> None:
            try:
                first.execute(move, {"s": "published", "slug": "bulk-blog-1-2"})  # waits
                first.commit()
            except Exception as error:  # a deadlock: reported below
                errors.append(error)

        waiter = threading.Thread(target=cross)
        waiter.start()
        time.sleep(0.5)  # first is now waiting for second's row
        second.execute(move, {"s": "published", "slug": "bulk-blog-1-3"})
        second.commit()
        waiter.join(timeout=30)
        assert not waiter.is_alive() and errors == []
    finally:
        first.close()
        second.close()
    slugs = truth(site)
    assert "bulk-blog-1-1" not in slugs and "bulk-blog-1-2" in slugs


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_database_the_site_may_only_read_still_serves_every_page(site, caplog):
    with site.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP ROLE IF EXISTS blogsite_reader"))
        conn.execute(text("CREATE ROLE blogsite_reader LOGIN"))
        conn.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO blogsite_reader"))
    url = make_url(site.config["SQLALCHEMY_DATABASE_URI"]).set(username="blogsite_reader")
    reader = create_app(site.config | {"SQLALCHEMY_DATABASE_URI": url.render_as_string(False)})
    try:
        assert_pages_match(reader.test_client(), "/", truth(site))
        assert marks(site, "home") == []
        failed = [r for r in caplog.records if r.getMessage() == "page_marks.failed"]
        assert failed  # logged, and the page read by counting from the top
    finally:
        with reader.app_context():
            db.engine.dispose()
        with site.app_context(), db.engine.begin() as conn:
            conn.execute(text("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM blogsite_reader"))
            conn.execute(text("DROP ROLE blogsite_reader"))


OBJECTS = {
    "sqlite": "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'listing_version%'"
    " AND type = 'trigger' ORDER BY type, name",
    "postgresql": "SELECT 'function', proname, prosrc FROM pg_proc WHERE proname LIKE"
    " 'listing_version%' UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM"
    " pg_trigger WHERE tgname LIKE 'listing_version%' ORDER BY 1, 2",
}


def objects(conn: Any) -> list[tuple[str, ...]]:
    return [tuple(row) for row in conn.execute(text(OBJECTS[conn.dialect.name]))]


def version(conn: Any) -> int:
    return int(conn.scalar(text("SELECT version FROM listing_version")) or 0)


def test_migration_builds_the_triggers_create_all_builds_and_downgrades(empty_database):  # noqa: F811
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database, "CACHE_ENABLED": False}
    app = create_app(config)
    blog = (
        "INSERT INTO blogs (id, title, slug, content, status, author_id, created_at, updated_at)"
        " VALUES (1, 'T', 't', 'x', 'published', 1, '2026-01-02', '2026-01-02')"
    )
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            migrated = objects(conn)
            assert len(migrated) >= 6
            conn.execute(text("INSERT INTO authors (id, name, bio) VALUES (1, 'A', '')"))
        steps = [  # (statement, whether it moves a listing)
            (blog, True),
            ("UPDATE blogs SET title = 'Retitled', content = 'y' WHERE id = 1", False),
            ("UPDATE blogs SET status = 'published' WHERE id = 1", False),  # the same value
            ("UPDATE blogs SET status = 'draft' WHERE id = 1", True),
            ("UPDATE blogs SET created_at = '2026-01-03' WHERE id = 1", True),
        ]
        for statement, moves in steps:
            with db.engine.begin() as conn:
                before = version(conn)
            with db.engine.begin() as conn:
                conn.execute(text(statement))
            with db.engine.begin() as conn:
                assert (version(conn) > before) == moves, statement
        downgrade(revision="0008")
        with db.engine.begin() as conn:  # no trigger left behind to fail a write
            conn.execute(text("UPDATE blogs SET status = 'published' WHERE id = 1"))
            assert objects(conn) == []
            for table in ("blogs", "authors"):
                conn.execute(text(f"DELETE FROM {table}"))
        upgrade()
        with db.engine.begin() as conn:  # the same objects as create_all's
            for drop in (True, False):
                for statement in page_marks_schema.statements(conn.dialect.name, drop=drop):
                    conn.execute(text(statement))
            assert objects(conn) == migrated
        db.engine.dispose()


def test_a_short_listing_stores_no_marks_for_pages_past_its_end(site, client, make_blog):
    make_blog("Alone", tags=["lonely"])
    for page in (200, 5_000):
        assert client.get(f"/tag/lonely/?page={page}").status_code == 404
    assert client.get("/tag/lonely/?page=1").status_code == 200
    with site.app_context(), db.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM listing_marks")) == 0
