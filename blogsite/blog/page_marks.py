"""Page marks: where every thousandth entry of a long listing sits, so that a page asked
for by number reads at most a thousand index entries, not every entry above it.

A ``?page=N`` with no ``after=`` anchor (a typed address, an old link, an anchor since
unpublished) has only its position: ``OFFSET`` walks every entry before it, 99,980 for
the last page of a 100,000-blog home page. The first such request computes the sort keys
of entries 0, 1000, 2000... of its listing in one scan and stores them; later ones start
at the nearest mark above their page and skip fewer than ``EVERY`` entries.

Marks are exact or unused. Each set carries the ``listing_version`` it was computed at,
read in the same statement as the rows it marks, and triggers (``schema.py``) bump that
version in every transaction that changes what a listing holds or its order, whoever
writes (pages, the console, the CLI, raw SQL); the bump becomes visible with the write.
Time is the other change: a set holds the next publication after the moment it shows,
and stops counting then, as cached pages do (caching/generations.py, "Time").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Select,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .. import reads
from ..domain import publishing
from ..extensions import db
from ..logs import log_event
from .page_marks_schema import listing_marks, listing_version
from .summaries import NOW

EVERY = 1_000  # entries between marks: the most a page by number walks past its mark

_M = listing_marks.c
_VERSION = func.coalesce(
    select(listing_version.c.version).where(listing_version.c.id == 1).scalar_subquery(), 0
)
# A set counts when it is the current version's and shows the site as it is at ``now``.
_CURRENT = (
    (_M.listing == bindparam("listing"))
    & (_M.version == _VERSION)
    & (_M.shown_at <= NOW)
    & or_(_M.until.is_(None), _M.until > NOW)
)
NEAREST = (
    select(_M.position, _M.sort_key, _M.blog_id)
    .where(_CURRENT, _M.position <= bindparam("offset"))
    .order_by(_M.position.desc())
    .limit(1)
)
# Sets of an old version, or past their publication. A set computed by a worker whose clock
# runs ahead is kept: its rows are the same as this one's would be (the insert skips them).
_STALE = delete(listing_marks).where(
    _M.listing == bindparam("listing"), (_M.version != _VERSION) | (_M.until <= NOW)
)
# PostgreSQL: one worker builds a listing's set; the others read this page by OFFSET.
_BUILDER = select(func.pg_try_advisory_xact_lock(func.hashtext(bindparam("listing"))))
_DIALECTS = ("postgresql", "sqlite")  # the two with INSERT ... ON CONFLICT DO NOTHING


class Mark(NamedTuple):
    """The entry at ``position`` (from 0, newest first) of a listing, by its sort key."""

    position: int
    sort_key: Any
    blog_id: int


def nearest(
    listing: tuple[Any, ...],
    where: Callable[[], Select[Any]],
    key: tuple[Any, Any],
    offset: int,
    now: datetime,
) -> Mark | None:
    """Return the listing's last mark at or above ``offset``, computing its marks if none
    count; None when the page is near the top or marks cannot be kept (read by OFFSET)."""
    if offset < EVERY or db.engine.dialect.name not in _DIALECTS or reads.in_transaction():
        return None  # a transaction's own uncommitted writes are not in the stored marks
    name = ":".join(str(part) for part in listing)
    params = {"listing": name, "offset": offset, "now": now}
    try:
        found = reads.rows(NEAREST, params)
        if not found and _build(name, where, key, now):
            found = reads.rows(NEAREST, params)
    except SQLAlchemyError as error:  # not migrated yet, read-only, a lock timeout...
        log_event(
            "page_marks.failed", {"listing": name, "error": type(error).__name__}, level="WARNING"
        )
        return None
    return Mark(*found[0]) if found else None


def _build(name: str, where: Callable[[], Select[Any]], key: tuple[Any, Any], now: Any) -> bool:
    """Store the listing's marks as it is at ``now``; return whether this worker did."""
    # A listing of EVERY entries or fewer has no page this deep: nothing to store (no
    # write per request for a reader asking an empty tag for page 500).
    if not reads.rows(where().offset(EVERY).limit(1), {"now": now}):
        return False
    with db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres and not connection.scalar(_BUILDER, {"listing": name}):
            return False  # another worker is building them
        connection.execute(_STALE, {"listing": name, "now": now})
        stored = connection.execute(_marking(name, where, key), {"now": now}).rowcount
    log_event("page_marks.built", {"listing": name, "marks": stored}, level="DEBUG")
    return True


def _marked_entries(where: Callable[[], Select[Any]], key: tuple[Any, Any], walk: bool) -> Any:
    """Return (position, sort key, id) of entries 0, EVERY, 2 * EVERY... newest first."""
    newest = (key[0].desc(), key[1].desc())
    if not walk:  # SQLite (no LATERAL): number every entry, keep every EVERY-th
        ordered = func.row_number().over(order_by=newest) - 1
        entries = where().add_columns(key[0], ordered.label("position")).subquery()
        ident, sort_key, position = entries.c
        return select(position, sort_key, ident).where(position % EVERY == 0).subquery()
    # PostgreSQL: from each mark, skip EVERY - 1 entries of the index to the next one. The
    # same walk as one OFFSET to the end, a third of the time of numbering every entry.
    first = where().add_columns(key[0]).order_by(*newest).limit(1).subquery()
    start = select(literal(0, BigInteger).label("position"), first.c[1], first.c[0])
    marks = start.cte("marks", recursive=True)
    position, sort_key, ident = marks.c
    after = where().add_columns(key[0]).where(tuple_(*key) < tuple_(sort_key, ident))
    step = after.order_by(*newest).offset(EVERY - 1).limit(1).lateral("next")
    following = select(position + EVERY, step.c[1], step.c[0]).select_from(marks.join(step, true()))
    return marks.union_all(following)


def _marking(
    name: str, where: Callable[[], Select[Any]], key: tuple[Any, Any]
) -> postgresql.Insert | sqlite.Insert:
    """Return the statement storing the marks of the listing ``where`` selects at ``now``."""
    postgres = db.engine.dialect.name == "postgresql"
    position, sort_key, ident = _marked_entries(where, key, walk=postgres).c
    upcoming = publishing.upcoming(NOW).scalar_subquery()
    marks = select(literal(name), _VERSION, position, sort_key, ident, NOW, upcoming)
    marks = marks.where(true())  # SQLite reads "ON CONFLICT" after a bare FROM as a join's ON
    columns = ["listing", "version", "position", "sort_key", "blog_id", "shown_at", "until"]
    # Another worker may store the same set at the same moment: its rows are the same.
    if postgres:
        return postgresql.insert(listing_marks).from_select(columns, marks).on_conflict_do_nothing()
    return sqlite.insert(listing_marks).from_select(columns, marks).on_conflict_do_nothing()
