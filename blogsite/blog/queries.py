"""Reads behind the public pages, returning plain data (dicts and lists, no ORM objects).

Each read is cached under the generations it depends on (``all`` is implied): ``lists``
for site-wide listings, ``author:<id>`` for one author's pages, ``blog:<slug>`` for one
blog. Commits bump them (``caching/invalidation.py``); ``f.invalidate(*args)`` does it
by hand, as django-cacheops' ``get_all_blogs.invalidate(12)`` did.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, not_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import reads
from ..caching import cached, never_cached, reading_now
from ..domain import publishing
from ..extensions import db
from ..markup import excerpt
from ..models import Author, Blog, CoverImage, Tag, blog_tags, utcnow
from ..reading import reading_minutes
from .pagination import newest_first, paginate
from .summaries import NOW, published_by
from .summaries import detail as summaries_detail


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _summary(blog: Blog) -> dict[str, Any]:
    """Return what a list of blogs shows of one blog."""
    return {
        "id": blog.id,
        "title": blog.title,
        "slug": blog.slug,
        "status": blog.status,
        "publish_at": _utc(blog.publish_at),
        "excerpt": excerpt(blog.content),
        "reading_minutes": reading_minutes(blog.content),
        "author": {"id": blog.author.id, "name": blog.author.name},
        "cover_image": _cover_address(blog.cover_image),
        "cover": _cover(blog.cover_image),
        "tags": [{"name": tag.name, "slug": tag.slug} for tag in blog.tags],
        "created_at": _utc(blog.created_at),
        "updated_at": _utc(blog.updated_at),
    }


def _cover(cover: CoverImage | None) -> dict[str, Any] | None:
    """Return what a page needs to show a cover: its link or stored picture, and alt text."""
    if cover is None:
        return None
    media = cover.media.name if cover.media is not None else None
    return {"link": cover.image_link, "media": media, "alt": cover.alt_text}


def _cover_address(cover: CoverImage | None) -> str | None:
    """Return the cover's address as a path or link (for pages that want one URL)."""
    if cover is None:
        return None
    return f"/media/{cover.media.name}" if cover.media is not None else cover.image_link


def _with_relations(stmt: Select[Any]) -> Select[Any]:
    # One joined query for author, cover and its picture, one IN query for all tags: no N+1.
    return stmt.options(
        joinedload(Blog.author),
        joinedload(Blog.cover_image).joinedload(CoverImage.media),
        selectinload(Blog.tags),
    )


def summaries(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Return what a list shows of each of these blogs, by id (search results' cards)."""
    rows = db.session.scalars(_with_relations(select(Blog).where(Blog.id.in_(ids)))).all()
    return {blog.id: _summary(blog) for blog in rows}


# The ids of the blogs readers see at the bound time ``now`` (built once: it never changes).
VISIBLE_IDS = select(Blog.id).where(publishing.visible(NOW))


def _visible_ids() -> Select[Any]:
    """Select the ids of the blogs readers see at the bound time ``now`` (summaries.NOW)."""
    return VISIBLE_IDS


def _visible_blogs(now: datetime | None = None) -> Select[Any]:
    return select(Blog).where(publishing.visible(now or reading_now()))


# An author's and a tag's page start with these (built once; read outside the session).
AUTHOR = select(Author.id, Author.name, Author.bio, Author.user_id).where(
    Author.id == bindparam("author_id")
)
TAG = select(Tag.id, Tag.name, Tag.slug).where(Tag.slug == bindparam("slug"))


# The page size is an argument, so it is part of each cached key (BLOGS_PER_PAGE).
@cached(lambda page, per_page, after=None: ["lists"])
def home_page(page: int, per_page: int, after: int | None = None) -> dict[str, Any]:
    """Return a page of the latest published blogs (after the blog ``after``, if given)."""
    return paginate(("home",), _visible_ids, page, per_page, after)


@cached(lambda slug: [f"blog:{slug}"])
def blog_detail(slug: str) -> dict[str, Any] | None:
    """Return one blog with its content, or None."""
    return summaries_detail(slug)


@cached(lambda author_id: [f"author:{author_id}"])
def author_info(author_id: int) -> dict[str, Any] | None:
    """Return an author's public profile, or None."""
    found = reads.rows(AUTHOR, {"author_id": author_id})
    if not found:
        return None
    author = found[0]
    return {"id": author.id, "name": author.name, "bio": author.bio, "user_id": author.user_id}


@cached(lambda author_id, page, per_page, after=None: [f"author:{author_id}"])
def author_page(
    author_id: int, page: int, per_page: int, after: int | None = None
) -> dict[str, Any]:
    """Return a page of an author's published blogs."""
    where = lambda: _visible_ids().where(Blog.author_id == author_id)  # noqa: E731
    return paginate(("author", author_id), where, page, per_page, after)


@never_cached
def author_drafts(author_id: int) -> list[dict[str, Any]]:
    """Return an author's drafts and scheduled blogs (never cached: only their writer sees them)."""
    hidden = not_(publishing.visible(utcnow()))
    stmt = select(Blog).where(Blog.author_id == author_id, hidden)
    rows = db.session.scalars(_with_relations(stmt).order_by(Blog.updated_at.desc())).all()
    return [_summary(blog) for blog in rows]


@cached(lambda slug: ["lists"])
def tag_info(slug: str) -> dict[str, Any] | None:
    """Return a tag by slug, or None."""
    found = reads.rows(TAG, {"slug": slug})
    return {"id": found[0].id, "name": found[0].name, "slug": found[0].slug} if found else None


def _tagged(tag_id: int, now: Any) -> Select[Any]:
    """Select the ids of the blogs carrying a tag visible at ``now``, from blog_tags alone."""
    # No join: blog_tags keeps a copy of each blog's status, created_at and publish_at
    # (models.py), so a tag's page, even of a tag on half the site, is one index-only scan.
    link = blog_tags.c
    return select(link.blog_id).where(
        link.tag_id == tag_id, publishing.visible(now, link.status, link.publish_at)
    )


TAG_KEY = (blog_tags.c.created_at, blog_tags.c.blog_id)  # a tag's listing order, newest first


@cached(lambda tag_id, page, per_page, after=None: ["lists"])
def tag_page(tag_id: int, page: int, per_page: int, after: int | None = None) -> dict[str, Any]:
    """Return a page of the published blogs carrying a tag."""
    where = lambda: _tagged(tag_id, NOW)  # noqa: E731
    return paginate(("tag", tag_id), where, page, per_page, after, TAG_KEY)


def _entries(stmt: Select[Any], limit: int) -> list[dict[str, Any]]:
    """Return the newest ``limit`` blogs ``stmt`` selects, with their content, for a feed."""
    rows = db.session.scalars(newest_first(_with_relations(stmt)).limit(limit)).all()
    return [_summary(blog) | {"content": blog.content} for blog in rows]


@cached(lambda limit: ["lists"])
def feed_entries(limit: int) -> list[dict[str, Any]]:
    """Return the latest published blogs for the Atom feed, with their content."""
    return _entries(_visible_blogs(), limit)


@cached(lambda author_id, limit: [f"author:{author_id}"])
def author_feed_entries(author_id: int, limit: int) -> list[dict[str, Any]]:
    """Return an author's latest published blogs for their Atom feed."""
    return _entries(_visible_blogs().where(Blog.author_id == author_id), limit)


@cached(lambda tag_id, limit: ["lists"])
def tag_feed_entries(tag_id: int, limit: int) -> list[dict[str, Any]]:
    """Return the latest published blogs carrying a tag, for its Atom feed."""
    # The tag's newest ids from its index (as its page reads them), then only those rows.
    now = reading_now()
    ids = newest_first(_tagged(tag_id, now), TAG_KEY).limit(limit).scalar_subquery()
    return _entries(_visible_blogs(now).where(Blog.id.in_(ids)), limit)


@cached(lambda author_id: [f"author:{author_id}"])
def get_all_blogs(author_id: int) -> list[dict[str, Any]]:
    """Return all of an author's published blogs, newest first (the original's query)."""
    return published_by(author_id, reading_now())
