"""One page of a listing, newest first, read from one index whatever its depth.

A page reads its rows and counts up to LOOKAHEAD entries past them in one query, instead of
a COUNT(*) of the whole listing. Older links carry the last blog shown (``after=``): the
next page starts right after it. A page asked for by number starts at the nearest page mark
(``page_marks.py``). Built statements are kept, so a page costs one round trip of SQL.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Select, literal, select, tuple_

from .. import reads
from ..caching import expires_at, is_on
from ..domain import publishing
from ..models import Blog, utcnow
from . import page_marks
from .summaries import page_of, page_statement


def newest_first(stmt: Select[Any], key: Key | None = None) -> Select[Any]:
    created, ident = key or (Blog.created_at, Blog.id)
    return stmt.order_by(created.desc(), ident.desc())


# The columns a listing is ordered by, newest first: (created_at, id) of blogs, or their
# copies on blog_tags for a tag's listing.
Key = tuple[Any, Any]

# How far past a page a listing is counted: a listing shorter than this (from its start, or
# from the page's own position) gets its exact page count; a longer one says "N+" pages.
# A COUNT(*) of a whole listing costs a scan of all its rows on every cold page.
LOOKAHEAD = 2_000


def _anchor(after: int | None, now: datetime) -> tuple[Any, ...] | None:
    """Return (created_at, id) of the blog ``after`` if readers see it at ``now``."""
    if after is None:
        return None
    # Older links carry the id of the last blog shown: the next page starts right after
    # it whatever its depth, where an OFFSET walks every entry before it. Published only:
    # a draft's id as anchor would tell where its date falls.
    found = select(Blog.created_at, Blog.id).where(Blog.id == after, publishing.visible(now))
    rows = reads.rows(found)
    return tuple(rows[0]) if rows else None


# Built statements, by listing, page, size and anchor: building and keying one cost more
# Python than running it (immutable, so shared by every thread; bounded).
_STATEMENTS: LRUCache[tuple[Any, ...], Select[Any]] = LRUCache(1024)
_STATEMENTS_LOCK = threading.Lock()


def _page_statement(
    listing: tuple[Any, ...],
    where: Callable[[], Select[Any]],
    key: Key,
    page: int,
    per_page: int,
    after: int | None,
    now: datetime,
) -> Select[Any]:
    """Return the query of one listing page (``listing`` names ``where``: its cache key).

    ``where`` reads the time as the bound parameter ``now`` (summaries.NOW), so one built
    statement serves every moment.
    """
    anchor = _anchor(after, now)
    offset = (page - 1) * per_page
    # A page by number (an old ?page=N link, or its anchor is gone or unpublished) starts
    # from the nearest mark above it, or walks from the top (near it, or with no marks).
    mark = None if anchor is not None else page_marks.nearest(listing, where, key, offset, now)
    name = (*listing, page, per_page, anchor, mark)
    with _STATEMENTS_LOCK:
        stmt = _STATEMENTS.get(name)
    if stmt is None:
        ordered = newest_first(where().add_columns(key[0]), key)
        if anchor is not None:
            start = ordered.where(tuple_(*key) < tuple_(*anchor))
        elif mark is not None:  # the entry at mark.position is the first counted from
            from_mark = tuple_(*key) <= tuple_(literal(mark.sort_key), literal(mark.blog_id))
            start = ordered.where(from_mark).offset(offset - mark.position)
        else:
            start = ordered.offset(offset)
        # The lookahead is counted in the database: only the page's rows come back, each
        # with the number of entries from the page on.
        stmt = page_statement(start.limit(max(LOOKAHEAD, per_page + 1)).subquery(), per_page)
        with _STATEMENTS_LOCK:
            _STATEMENTS[name] = stmt
    return stmt


def paginate(
    listing: tuple[Any, ...],
    where: Callable[[], Select[Any]],
    page: int,
    per_page: int,
    after: int | None = None,
    key: Key | None = None,
) -> dict[str, Any]:
    """Return one page of the blogs ``where`` selects (newest first) with its page numbers.

    ``where()`` selects blog ids (built only for a statement not kept yet); ``listing`` names
    it (("home",), ("author", 3)...). The page's rows, the count of entries after it (up to
    LOOKAHEAD) and the next publication come from one query on the (created_at, id) index.
    """
    key = key or (Blog.created_at, Blog.id)
    now = utcnow()
    statement = _page_statement(listing, where, key, page, per_page, after, now)
    items, seen, anchor, upcoming = page_of(statement, now)
    if is_on():  # what is cached from this page expires when the next blog comes out
        expires_at(upcoming if items else publishing.next_publication(now))
    # A page past the end has no ids: its count stops before it, so the view answers 404.
    total = (page - 1) * per_page + seen
    newer = _newer_cursor(where, key, anchor, page, per_page, now)
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
    where: Callable[[], Select[Any]],
    key: Key,
    first: tuple[Any, int] | None,
    page: int,
    per_page: int,
    now: datetime,
) -> int | None:
    """Return the ``after`` id of the previous page: the blog per_page + 1 above this page."""
    if first is None or page <= 2:
        return None  # page 1 needs no cursor
    anchor = tuple_(literal(first[0]), literal(first[1]))
    newer = where().where(tuple_(*key) > anchor)
    stmt = newer.order_by(key[0].asc(), key[1].asc()).offset(per_page).limit(1)
    found: int | None = reads.scalar(stmt, {"now": now})
    return found
