"""Reads behind the public pages, returning plain data (dicts and lists, no ORM objects).

Each read is cached under the generations it depends on (``all`` is implied): ``lists``
for site-wide listings, ``author:<id>`` for one author's pages, ``blog:<slug>`` for one
blog. Commits bump them (``caching/invalidation.py``); ``f.invalidate(*args)`` does it
by hand, as django-cacheops' ``get_all_blogs.invalidate(12)`` did.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Select, literal, select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from ..caching import cached, never_cached
from ..extensions import db
from ..markup import excerpt
from ..models import STATUS_PUBLISHED, Author, Blog, Tag, blog_tags
from .summaries import detail as summaries_detail
from .summaries import page_of, page_statement, published_by


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
        "excerpt": excerpt(blog.content),
        "author": {"id": blog.author.id, "name": blog.author.name},
        "cover_image": blog.cover_image.image_link if blog.cover_image else None,
        "tags": [{"name": tag.name, "slug": tag.slug} for tag in blog.tags],
        "created_at": _utc(blog.created_at),
        "updated_at": _utc(blog.updated_at),
    }


def _with_relations(stmt: Select[Any]) -> Select[Any]:
    # One joined query for author and cover, one IN query for all tags: no N+1.
    return stmt.options(
        joinedload(Blog.author), joinedload(Blog.cover_image), selectinload(Blog.tags)
    )


def _newest_first(stmt: Select[Any], key: Key | None = None) -> Select[Any]:
    created, ident = key or (Blog.created_at, Blog.id)
    return stmt.order_by(created.desc(), ident.desc())


# The columns a listing is ordered by, newest first: (created_at, id) of blogs, or their
# copies on blog_tags for a tag's listing.
Key = tuple[Any, Any]

# How far past a page a listing is counted: a listing shorter than this (from its start, or
# from the page's own position) gets its exact page count; a longer one says "N+" pages.
# A COUNT(*) of a whole listing costs a scan of all its rows on every cold page.
LOOKAHEAD = 2_000


def _anchor(after: int | None) -> tuple[Any, ...] | None:
    """Return (created_at, id) of the published blog ``after``, if there is one."""
    if after is None:
        return None
    # Older links carry the id of the last blog shown: the next page starts right after
    # it whatever its depth, where an OFFSET walks every entry before it. Published only:
    # a draft's id as anchor would tell where its date falls.
    found = select(Blog.created_at, Blog.id).where(
        Blog.id == after, Blog.status == STATUS_PUBLISHED
    )
    row = db.session.execute(found).one_or_none()
    return None if row is None else tuple(row)


# Built statements, by listing, page, size and anchor: building and keying one cost more
# Python than running it (immutable, so shared by every thread; bounded).
_STATEMENTS: LRUCache[tuple[Any, ...], Select[Any]] = LRUCache(1024)
_STATEMENTS_LOCK = threading.Lock()


def _page_statement(
    listing: tuple[Any, ...],
    where: Select[Any],
    key: Key,
    page: int,
    per_page: int,
    after: int | None,
) -> Select[Any]:
    """Return the query of one listing page (``listing`` names ``where``: its cache key)."""
    anchor = _anchor(after)
    name = (*listing, page, per_page, anchor)
    with _STATEMENTS_LOCK:
        stmt = _STATEMENTS.get(name)
    if stmt is None:
        ordered = _newest_first(where.add_columns(key[0]), key)
        if anchor is not None:
            start = ordered.where(tuple_(*key) < tuple_(*anchor))
        else:  # an old ?page=N link, or its anchor is gone or unpublished: by OFFSET
            start = ordered.offset((page - 1) * per_page)
        # The lookahead is counted in the database: only the page's rows come back, each
        # with the number of entries from the page on.
        stmt = page_statement(start.limit(max(LOOKAHEAD, per_page + 1)).subquery(), per_page)
        with _STATEMENTS_LOCK:
            _STATEMENTS[name] = stmt
    return stmt


def _paginate(
    listing: tuple[Any, ...],
    where: Select[Any],
    page: int,
    per_page: int,
    after: int | None = None,
    key: Key | None = None,
) -> dict[str, Any]:
    """Return one page of the blogs ``where`` selects (newest first) with its page numbers.

    ``where`` selects blog ids; ``listing`` names it (("home",), ("author", 3)...). The
    page's rows and the count of entries after it (up to LOOKAHEAD) come from one query
    on the (created_at, id) index.
    """
    key = key or (Blog.created_at, Blog.id)
    statement = _page_statement(listing, where, key, page, per_page, after)
    items, seen, anchor = page_of(statement)
    # A page past the end has no ids: its count stops before it, so the view answers 404.
    total = (page - 1) * per_page + seen
    newer = _newer_cursor(where, key, anchor, page, per_page)
    return {
        "items": items,
        "page": page,
        "pages": max(1, math.ceil(total / per_page)),
        "total": total,
        "exact": seen < LOOKAHEAD,  # else there may be more pages than "pages"
        "after": items[-1]["id"] if seen > per_page else None,  # the Older link's cursor
        "newer": newer,  # the Newer link's cursor (None: to page 1, or too near the top)
    }


def _newer_cursor(
    where: Select[Any], key: Key, first: tuple[Any, int] | None, page: int, per_page: int
) -> int | None:
    """Return the ``after`` id of the previous page: the blog per_page + 1 above this page."""
    if first is None or page <= 2:
        return None  # page 1 needs no cursor
    anchor = tuple_(literal(first[0]), literal(first[1]))
    newer = where.where(tuple_(*key) > anchor)
    stmt = newer.order_by(key[0].asc(), key[1].asc()).offset(per_page).limit(1)
    found: int | None = db.session.scalar(stmt)
    return found


def _published() -> Select[Any]:
    return select(Blog.id).where(Blog.status == STATUS_PUBLISHED)


def _published_blogs() -> Select[Any]:
    return select(Blog).where(Blog.status == STATUS_PUBLISHED)


# The page size is an argument, so it is part of each cached key (BLOGS_PER_PAGE).
@cached(lambda page, per_page, after=None: ["lists"])
def home_page(page: int, per_page: int, after: int | None = None) -> dict[str, Any]:
    """Return a page of the latest published blogs (after the blog ``after``, if given)."""
    return _paginate(("home",), _published(), page, per_page, after)


@cached(lambda slug: [f"blog:{slug}"])
def blog_detail(slug: str) -> dict[str, Any] | None:
    """Return one blog with its content, or None."""
    return summaries_detail(slug)


@cached(lambda author_id: [f"author:{author_id}"])
def author_info(author_id: int) -> dict[str, Any] | None:
    """Return an author's public profile, or None."""
    author = db.session.get(Author, author_id)
    if author is None:
        return None
    return {"id": author.id, "name": author.name, "bio": author.bio, "user_id": author.user_id}


@cached(lambda author_id, page, per_page, after=None: [f"author:{author_id}"])
def author_page(
    author_id: int, page: int, per_page: int, after: int | None = None
) -> dict[str, Any]:
    """Return a page of an author's published blogs."""
    where = _published().where(Blog.author_id == author_id)
    return _paginate(("author", author_id), where, page, per_page, after)


@never_cached
def author_drafts(author_id: int) -> list[dict[str, Any]]:
    """Return an author's drafts (never cached: only their writer sees them)."""
    stmt = select(Blog).where(Blog.author_id == author_id, Blog.status != STATUS_PUBLISHED)
    rows = db.session.scalars(_with_relations(stmt).order_by(Blog.updated_at.desc())).all()
    return [_summary(blog) for blog in rows]


@cached(lambda slug: ["lists"])
def tag_info(slug: str) -> dict[str, Any] | None:
    """Return a tag by slug, or None."""
    tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
    return None if tag is None else {"id": tag.id, "name": tag.name, "slug": tag.slug}


@cached(lambda tag_id, page, per_page, after=None: ["lists"])
def tag_page(tag_id: int, page: int, per_page: int, after: int | None = None) -> dict[str, Any]:
    """Return a page of the published blogs carrying a tag."""
    # No join: blog_tags keeps a copy of each blog's status and created_at (models.py), so
    # a tag's page, even of a tag on half the site, is one index-only range scan.
    link = blog_tags.c
    tagged = select(link.blog_id).where(link.tag_id == tag_id, link.status == STATUS_PUBLISHED)
    key = (link.created_at, link.blog_id)
    return _paginate(("tag", tag_id), tagged, page, per_page, after, key)


@cached(lambda limit: ["lists"])
def feed_entries(limit: int) -> list[dict[str, Any]]:
    """Return the latest published blogs for the Atom feed, with their content."""
    stmt = _newest_first(_with_relations(_published_blogs()))
    rows = db.session.scalars(stmt.limit(limit)).all()
    return [_summary(blog) | {"content": blog.content} for blog in rows]


@cached(lambda author_id: [f"author:{author_id}"])
def get_all_blogs(author_id: int) -> list[dict[str, Any]]:
    """Return all of an author's published blogs, newest first (the original's query)."""
    return published_by(author_id)
