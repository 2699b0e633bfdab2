"""Run a parsed query: PostgreSQL (tsvector, GIN, ts_rank, ts_headline) or SQLite (FTS5).

Both rank the newest ``RANKED`` matching blogs and return one page of them, best first,
with the title and a snippet of the body marked up by ``highlight``'s markers. Capping the
ranked set keeps a word that every blog holds as cheap as a rare one: PostgreSQL walks the
newest blogs when a word is common and the GIN index when it is rare (it estimates which
from the index's statistics); the first ``RANKED`` matches are exact for any rarer query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Select,
    Text,
    column,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy import table as table_clause
from sqlalchemy.exc import OperationalError

from ..caching import reading_now
from ..domain import publishing
from ..extensions import db
from ..logs import log_event
from ..models import Blog
from .highlight import CLOSE, MARKERS, OPEN
from .query import SearchQuery
from .schema import LANGUAGE, TABLE

RANKED = 300  # the newest matches that are ranked (30 pages of 10)
SNIPPET_WORDS = 24
# Title 10, tags 4, body 1 for bm25; PostgreSQL's default ts_rank weights are A 1.0, B 0.4,
# C 0.2 (D 0.1): either way a word in a title outranks the same word in a body.
BM25_WEIGHTS = (10.0, 4.0, 1.0)
PG_INDEX = table_clause(TABLE, column("blog_id"), column("document"))
FTS = table_clause(TABLE, column("rowid"), column("title"), column("tags"), column("body"))
FTS_TABLE: ColumnClause[Any] = literal_column(TABLE)
CONFIG: ColumnClause[Any] = literal_column(f"'{LANGUAGE}'::regconfig")
TITLE_OPTIONS = f'StartSel="{OPEN}", StopSel="{CLOSE}", HighlightAll=true'
BODY_OPTIONS = (
    f'StartSel="{OPEN}", StopSel="{CLOSE}", MaxWords={SNIPPET_WORDS}, MinWords=12,'
    ' MaxFragments=2, FragmentDelimiter=" … "'
)


def searchable() -> ColumnElement[bool]:
    """Return which blogs search may show: those readers see now (published and due).

    Every search query filters on it; a cached result expires at the next publication.
    """
    return publishing.visible(reading_now())


@dataclass(frozen=True)
class Hit:
    id: int
    title: str  # with markers around matches
    snippet: str


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    matches: int  # matches counted, at most RANKED (0 when the page is past the end)
    capped: bool  # there may be more than RANKED


def run(query: SearchQuery, page: int, per_page: int) -> Found:
    """Return one page of the blogs matching ``query``, best first."""
    offset = (page - 1) * per_page
    if not query.groups or offset >= RANKED:
        return Found([], 0, False)
    if db.session.get_bind().dialect.name == "postgresql":
        return _postgres(query, offset, per_page)
    try:
        return _sqlite(query, offset, per_page)
    except OperationalError as error:
        # The expression is built from quoted strings only; should FTS5 refuse one anyway,
        # the reader gets "no results" and the log says so (without what they typed).
        db.session.rollback()
        log_event("search_failed", {"error": type(error.orig).__name__}, level="WARNING")
        return Found([], 0, False)


def _page(newest: Any, rank: Any, offset: int, per_page: int) -> list[Any]:
    stmt: Select[Any] = (
        select(newest.c.id, func.count().over().label("matches"))
        .order_by(rank, newest.c.created_at.desc(), newest.c.id.desc())
        .offset(offset)
        .limit(per_page)
    )
    return list(db.session.execute(stmt).all())


def _found(rows: list[Any], marked: dict[int, tuple[str, str]]) -> Found:
    matches = rows[0].matches if rows else 0
    hits = [Hit(r.id, *marked[r.id]) for r in rows if r.id in marked]
    return Found(hits, matches, matches >= RANKED)


def _postgres(query: SearchQuery, offset: int, per_page: int) -> Found:
    # Parallel workers cost more to start than this query takes when it walks the newest
    # blogs (measured: 83 ms with two, 11 without, for a tag on 1 blog in 10 of 100,000).
    db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    tsquery = func.websearch_to_tsquery(CONFIG, literal(query.canonical(), Text))
    document = PG_INDEX.c.document
    newest = (
        select(Blog.id, Blog.created_at, document)
        .join(PG_INDEX, PG_INDEX.c.blog_id == Blog.id)
        .where(searchable(), document.op("@@")(tsquery))
        .order_by(Blog.created_at.desc(), Blog.id.desc())
        .limit(RANKED)
        .subquery()
    )
    rank = func.ts_rank(newest.c.document, tsquery)
    order = (rank.desc(), newest.c.created_at.desc(), newest.c.id.desc())
    page = (
        select(newest.c.id, func.count().over().label("matches"))
        .add_columns(func.row_number().over(order_by=order).label("n"))
        .order_by(*order)
        .offset(offset)
        .limit(per_page)
        .subquery()
    )

    def headline(text: Any, options: str) -> Any:
        return func.ts_headline(CONFIG, func.translate(text, MARKERS, ""), tsquery, options)

    # The page's own rows only are marked (ts_headline parses the whole text), in the same
    # round trip as the ranking.
    marked = (
        select(page.c.id, page.c.matches)
        .add_columns(headline(Blog.title, TITLE_OPTIONS), headline(Blog.content, BODY_OPTIONS))
        .join(Blog, Blog.id == page.c.id)
        .order_by(page.c.n)
    )
    rows = db.session.execute(marked).all()
    return _found(list(rows), {i: (title, body) for i, _, title, body in rows})


def _sqlite(query: SearchQuery, offset: int, per_page: int) -> Found:
    match = FTS_TABLE.op("MATCH")(literal(query.fts5(), Text))
    weights: list[ColumnClause[Any]] = [literal_column(repr(w)) for w in BM25_WEIGHTS]
    newest = (
        select(
            FTS.c.rowid.label("id"), Blog.created_at, func.bm25(FTS_TABLE, *weights).label("score")
        )
        .select_from(FTS)
        .join(Blog, Blog.id == FTS.c.rowid)
        .where(match, searchable())
        .order_by(Blog.created_at.desc(), Blog.id.desc())
        .limit(RANKED)
        .subquery()
    )
    rows = _page(newest, newest.c.score.asc(), offset, per_page)  # bm25: lower is better
    if not rows:
        return Found([], 0, False)
    marks = select(
        FTS.c.rowid,
        func.highlight(FTS_TABLE, 0, OPEN, CLOSE),
        func.snippet(FTS_TABLE, 2, OPEN, CLOSE, " … ", SNIPPET_WORDS),
    ).where(match, FTS.c.rowid.in_([r.id for r in rows]))
    found = db.session.execute(marks)
    return _found(rows, {i: (title, body) for i, title, body in found})
