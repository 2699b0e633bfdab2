"""What listings and a blog page show of blogs, read as plain rows (no ORM objects).

A cold page spent more time building ORM objects (the blogs, their authors and covers,
the tags' association rows) than PostgreSQL spent finding them. These statements read
plain columns in one query (tags included) and come back as the dicts ``queries.py``
caches; only a listing's excerpt source (the head of the Markdown) leaves the database,
not the whole text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import DateTime, Row, Select, Subquery, bindparam, func, select

from .. import reads
from ..domain import publishing
from ..markup import excerpt
from ..models import Author, Blog, CoverImage, MediaFile, Tag, blog_tags
from ..reading import reading_minutes

_blogs, _authors, _covers, _media, _tags = (
    Blog.__table__, Author.__table__, CoverImage.__table__, MediaFile.__table__, Tag.__table__
)  # fmt: skip
B, A, C, M, T, L = _blogs.c, _authors.c, _covers.c, _media.c, _tags.c, blog_tags.c

# The moment a listing shows the site at, bound at execution: built statements are kept and
# reused (queries.py), and scheduled blogs appear when their time comes.
NOW = bindparam("now", type_=DateTime(timezone=True))

# A blog's tags come with its row, as one string: "name<US>slug<RS>name<US>slug". Tag
# names and slugs are one-line text, and the edge refuses control characters (guard.py).
UNIT, RECORD = "\x1f", "\x1e"
_TAG_LIST = (
    select(func.aggregate_strings(T.name + UNIT + T.slug, RECORD))
    .select_from(blog_tags.join(_tags, T.id == L.tag_id))
    .where(L.blog_id == B.id)
    .scalar_subquery()
    .label("tag_list")
)
_COLUMNS = (
    B.id, B.title, B.slug, B.status, B.publish_at, B.created_at, B.updated_at,
    A.id.label("author_id"), A.name.label("author_name"), A.user_id.label("author_user_id"),
    C.image_link, C.alt_text.label("cover_alt"), M.name.label("media_name"), _TAG_LIST,
)  # fmt: skip
_FROM = (
    _blogs.join(_authors, A.id == B.author_id)
    .outerjoin(_covers, C.id == B.cover_image_id)
    .outerjoin(_media, M.id == C.media_id)
)

# A card shows the excerpt and the reading time, which needs the whole text's length.
_TEXT = B.content.label("text")
BY_AUTHOR = (
    select(*_COLUMNS, _TEXT)
    .select_from(_FROM)
    .where(B.author_id == bindparam("author_id"), publishing.visible(NOW))
    .order_by(B.created_at.desc(), B.id.desc())
)
# The next publication comes with a listing's rows (a one-row InitPlan): a page cached from
# them expires then, at no extra round trip (caching/generations.py, "Time").
_UPCOMING = publishing.upcoming(NOW).scalar_subquery().label("upcoming")
DETAIL = select(*_COLUMNS, _TEXT).select_from(_FROM)
DETAIL_BY_SLUG = DETAIL.where(B.slug == bindparam("slug"))


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _tag_list(listed: str | None) -> list[dict[str, str]]:
    """Return the tags in a ``tag_list`` string, by name (Blog.tags' order)."""
    tags = []
    for item in (listed or "").split(RECORD):
        name, unit, slug = item.partition(UNIT)
        if unit:
            tags.append({"name": name, "slug": slug})
    return sorted(tags, key=lambda tag: tag["name"])


def _summary(row: Row[Any]) -> dict[str, Any]:
    """Return what a list of blogs shows of one blog (the shape ``queries.py`` caches)."""
    return {
        "id": row.id,
        "title": row.title,
        "slug": row.slug,
        "status": row.status,
        "publish_at": _utc(row.publish_at),
        "excerpt": excerpt(row.text),
        "reading_minutes": reading_minutes(row.text),
        "author": {"id": row.author_id, "name": row.author_name},
        "cover_image": f"/media/{row.media_name}" if row.media_name else row.image_link,
        "cover": _cover(row),
        "tags": _tag_list(row.tag_list),
        "created_at": _utc(row.created_at),
        "updated_at": _utc(row.updated_at),
    }


def _cover(row: Row[Any]) -> dict[str, Any] | None:
    """Return what a page needs to show a cover (as queries._cover does from objects)."""
    if row.image_link is None and row.media_name is None:
        return None
    return {"link": row.image_link, "media": row.media_name, "alt": row.cover_alt}


def page_statement(ahead: Subquery, per_page: int) -> Select[Any]:
    """Return the query for a listing page: ``ahead`` counted, its first blogs' columns.

    ``ahead`` selects (blog id, sort key) newest first, from the page's start on.
    """
    first, key = ahead.c[0], ahead.c[1]
    counted = (
        select(first.label("blog_id"), key.label("sort_key"), func.count().over().label("seen"))
        .order_by(key.desc(), first.desc())
        .limit(per_page)
        .subquery()
    )
    joined = counted.join(_blogs, B.id == counted.c.blog_id).join(_authors, A.id == B.author_id)
    joined = joined.outerjoin(_covers, C.id == B.cover_image_id)
    joined = joined.outerjoin(_media, M.id == C.media_id)
    stmt = select(*_COLUMNS, _TEXT, counted.c.seen, counted.c.sort_key, _UPCOMING)
    return stmt.select_from(joined).order_by(counted.c.sort_key.desc(), counted.c.blog_id.desc())


class Page(NamedTuple):
    """A listing page's cards, the entries its lookahead holds, its first key, and when the
    next scheduled blog comes out (None: none, or unknown on an empty page)."""

    items: list[dict[str, Any]]
    seen: int
    first: tuple[Any, int] | None
    upcoming: datetime | None


def page_of(statement: Select[Any], now: datetime) -> Page:
    """Return one page of a listing (a ``page_statement``) as the site looks at ``now``."""
    rows = reads.rows(statement, {"now": now})
    if not rows:
        return Page([], 0, None, None)
    first = rows[0]
    upcoming = None if first.upcoming is None else publishing.as_utc(first.upcoming)
    return Page([_summary(row) for row in rows], first.seen, (first.sort_key, first.id), upcoming)


def published_by(author_id: int, now: datetime) -> list[dict[str, Any]]:
    """Return the cards of every blog of an author readers see at ``now``, newest first."""
    rows = reads.rows(BY_AUTHOR, {"author_id": author_id, "now": now})
    return [_summary(row) for row in rows]


def detail(slug: str) -> dict[str, Any] | None:
    """Return one blog's card with its whole text and its author's user id, or None."""
    found = reads.rows(DETAIL_BY_SLUG, {"slug": slug})
    if not found:
        return None
    row = found[0]
    blog = _summary(row)
    blog["content"] = row.text
    blog["author"]["user_id"] = row.author_user_id
    return blog
