"""Every kind of write shows on the next anonymous request; a rollback invalidates nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update

from blogsite.blog import queries
from blogsite.extensions import db
from blogsite.models import STATUS_DRAFT, Author, Blog, CoverImage, Tag, blog_tags

from .conftest import count_queries

pytestmark = pytest.mark.redis

PAGES = [
    "/",
    "/blog/alpha/",
    "/author/1/",
    "/tag/news/",
    "/feed.xml",
    "/sitemap.xml",
    "/blog/blogs_auto_invalidation/?author_id=1",
]


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url}


@pytest.fixture
def site(app: Any, make_blog: Any) -> Any:
    """Alpha (author 1, #news, with a cover) and Beta (author 2, #misc), all pages cached."""
    make_blog("Alpha", author_name="writer", tags=["news"])
    make_blog("Beta", author_name="other", tags=["misc"])
    with app.app_context():
        blog = db.session.scalar(select(Blog).filter_by(slug="alpha"))
        blog.cover_image = CoverImage(image_link="https://img.example/alpha.jpg")
        db.session.commit()
    client = app.test_client()
    for path in PAGES:
        client.get(path)
        assert client.get(path).headers["X-Cache"] == "HIT", path
    return client


def one(model: type, **by: Any) -> Any:
    return db.session.scalar(select(model).filter_by(**by))


def new_blog() -> None:
    db.session.add(Blog(title="Gamma", slug="gamma", content="new", author=one(Author, id=1)))


def rename_blog() -> None:
    one(Blog, slug="alpha").title = "Alpha renamed"


def unpublish() -> None:
    one(Blog, slug="alpha").status = STATUS_DRAFT


def delete_blog() -> None:
    db.session.delete(one(Blog, slug="alpha"))


def tag_blog() -> None:
    blog, tag = one(Blog, slug="beta"), one(Tag, slug="news")
    blog.tags.append(tag)


def untag_from_tag_side() -> None:
    tag, blog = one(Tag, slug="news"), one(Blog, slug="alpha")
    tag.blogs.remove(blog)


def rename_tag() -> None:
    one(Tag, slug="news").name = "headlines"


def rename_author() -> None:
    one(Author, id=1).name = "Wanda"


def change_cover() -> None:
    one(Blog, slug="alpha").cover_image.image_link = "https://img.example/new-cover.jpg"


def bulk_update() -> None:
    db.session.execute(update(Blog).where(Blog.slug == "alpha").values(title="Bulk title"))


def bulk_delete() -> None:
    db.session.execute(delete(Blog).where(Blog.slug == "alpha"))


def bulk_insert() -> None:
    row = {"title": "Inserted", "slug": "inserted", "content": "x", "author_id": 1}
    db.session.execute(insert(Blog), [row])


def link_insert() -> None:
    beta, news = one(Blog, slug="beta"), one(Tag, slug="news")
    db.session.execute(insert(blog_tags).values(blog_id=beta.id, tag_id=news.id))


def raw_sql() -> None:
    db.session.execute(text("UPDATE blogs SET title = 'Raw title' WHERE slug = 'alpha'"))


def change_slug_of_expired_object() -> None:
    blog = one(Blog, slug="alpha")
    db.session.commit()  # expires it: the old slug is no longer known in memory
    blog.slug = "alpha-moved"


# (write, path, must show, must not show)
WRITES: list[tuple[Callable[[], None], str, str, str | None]] = [
    (new_blog, "/", "Gamma", None),
    (new_blog, "/author/1/", "Gamma", None),
    (new_blog, "/blog/blogs_auto_invalidation/?author_id=1", "Gamma", None),
    (new_blog, "/feed.xml", "Gamma", None),
    (new_blog, "/sitemap.xml", "/blog/gamma/", None),
    (rename_blog, "/blog/alpha/", "Alpha renamed", None),
    (rename_blog, "/tag/news/", "Alpha renamed", None),
    (rename_blog, "/blog/blogs_auto_invalidation/?author_id=1", "Alpha renamed", None),
    (unpublish, "/", "Beta", "Alpha"),
    (unpublish, "/author/1/", "No published", "Alpha"),
    (delete_blog, "/blog/blogs_auto_invalidation/?author_id=1", "No published", "Alpha"),
    (tag_blog, "/tag/news/", "Beta", None),
    (untag_from_tag_side, "/tag/news/", "No published blogs", "Alpha"),
    (rename_tag, "/blog/alpha/", "#headlines", "#news"),
    (rename_tag, "/author/1/", "#headlines", "#news"),
    (rename_author, "/blog/alpha/", "Wanda", None),
    (rename_author, "/", "Wanda", None),
    (change_cover, "/", "new-cover.jpg", "alpha.jpg"),
    (bulk_update, "/blog/blogs_auto_invalidation/?author_id=1", "Bulk title", None),
    (bulk_update, "/blog/alpha/", "Bulk title", None),
    (bulk_delete, "/", "Beta", "Alpha"),
    (bulk_insert, "/", "Inserted", None),
    (link_insert, "/tag/news/", "Beta", None),
    (raw_sql, "/blog/alpha/", "Raw title", None),
    (change_slug_of_expired_object, "/sitemap.xml", "/blog/alpha-moved/", None),
]


@pytest.mark.parametrize(
    ("write", "path", "shown", "gone"),
    WRITES,
    ids=[f"{w.__name__}:{p}" for w, p, _, _ in WRITES],
)
def test_a_committed_write_shows_on_the_next_request(app, site, write, path, shown, gone):
    with app.app_context():
        write()
        db.session.commit()
    response = site.get(path)
    page = response.get_data(as_text=True)
    assert response.headers["X-Cache"] == "MISS"
    assert shown in page
    assert gone is None or gone not in page
    assert site.get(path).headers["X-Cache"] == "HIT"


def test_a_moved_or_deleted_blog_leaves_no_page_behind(app, site):
    with app.app_context():
        change_slug_of_expired_object()
        db.session.commit()
    assert site.get("/blog/alpha/").status_code == 404
    assert "Alpha" in site.get("/blog/alpha-moved/").get_data(as_text=True)
    with app.app_context():
        db.session.delete(one(Blog, slug="alpha-moved"))
        db.session.commit()
    assert site.get("/blog/alpha-moved/").status_code == 404


def test_a_write_elsewhere_keeps_other_authors_cached(app, site):
    with app.app_context():
        one(Blog, slug="beta").title = "Beta renamed"  # author 2 only
        db.session.commit()
    assert site.get("/author/1/").headers["X-Cache"] == "HIT"
    assert site.get("/blog/alpha/").headers["X-Cache"] == "HIT"
    assert site.get("/").headers["X-Cache"] == "MISS"


def test_a_draft_edit_leaves_public_lists_cached(app, site, make_blog):
    make_blog("Hidden", author_name="writer", status=STATUS_DRAFT)
    assert site.get("/").headers["X-Cache"] == "HIT"
    with app.app_context():
        one(Blog, slug="hidden").content = "still a draft"
        db.session.commit()
    assert site.get("/").headers["X-Cache"] == "HIT"


def test_a_rollback_invalidates_nothing(app, site):
    with app.app_context():
        rename_blog()
        db.session.flush()  # after_flush has seen it...
        db.session.rollback()  # ...but it never happened
        db.session.execute(update(Blog).where(Blog.slug == "beta").values(title="Never"))
        db.session.rollback()
    for path in PAGES:
        response = site.get(path)
        assert response.headers["X-Cache"] == "HIT", path
        assert "renamed" not in response.get_data(as_text=True)
        assert "Never" not in response.get_data(as_text=True)


def test_a_rolled_back_savepoint_keeps_the_outer_change(app, site):
    with app.app_context():
        rename_blog()
        db.session.flush()
        with db.session.begin_nested() as savepoint:
            one(Blog, slug="beta").title = "Beta renamed"
            db.session.flush()
            savepoint.rollback()
        db.session.commit()
    assert "Alpha renamed" in site.get("/blog/alpha/").get_data(as_text=True)


def test_seed_command_invalidates_through_bulk_inserts(app, site, runner):
    result = runner.invoke(args=["seed", "--authors", "1", "--blogs-per-author", "2"])
    assert result.exit_code == 0, result.output
    assert "Bulk blog" in site.get("/").get_data(as_text=True)


def test_get_all_blogs_invalidate_one_author_or_all(app, site):
    with app.app_context():
        queries.get_all_blogs(1), queries.get_all_blogs(2)
        with count_queries(app) as statements:
            queries.get_all_blogs(1), queries.get_all_blogs(2)
        assert statements == []
        queries.get_all_blogs.invalidate(1)
        with count_queries(app) as statements:
            assert queries.get_all_blogs(1)[0]["title"] == "Alpha"
            queries.get_all_blogs(2)
        assert len([s for s in statements if "blogs.author_id =" in s]) == 1
        queries.get_all_blogs.invalidate()
        with count_queries(app) as statements:
            queries.get_all_blogs(1), queries.get_all_blogs(2)
        assert len([s for s in statements if "blogs.author_id =" in s]) == 2
    assert site.get("/blog/blogs_auto_invalidation/?author_id=2").headers["X-Cache"] == "MISS"
