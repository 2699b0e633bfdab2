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

from flask import current_app
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
from . import deadline
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


class SearchTimeoutError(Exception):
    """The search took longer than ``SEARCH_TIMEOUT_MS`` and was cancelled."""


def run(query: SearchQuery, page: int, per_page: int) -> Found:
    """Return one page of the blogs matching ``query``, best first.

    Raise ``SearchTimeoutError`` when it runs past ``SEARCH_TIMEOUT_MS`` (the transaction is
    rolled back, so the session serves the rest of the request).
    """
    offset = (page - 1) * per_page
    if not query.groups or offset >= RANKED:
        return Found([], 0, False)
    limit = int(current_app.config["SEARCH_TIMEOUT_MS"])
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            return _postgres(query, offset, per_page, limit)
        with deadline.sqlite_deadline(limit):
            return _sqlite(query, offset, per_page)
    except OperationalError as error:
        db.session.rollback()  # a cancelled statement aborts the transaction
        if deadline.timed_out(error):
            # What they typed may be personal: its size only.
            terms = [term.text for group in query.groups for term in group]
            words = sum(len(term.split()) for term in terms)
            shape = {"length": len(query.canonical()), "terms": len(terms), "words": words,
                     "limit_ms": limit}  # fmt: skip
            log_event("search_timeout", shape, level="WARNING")
            raise SearchTimeoutError from None
        if db.session.get_bind().dialect.name == "postgresql":
            raise
        # The expression is built from quoted strings only; should FTS5 refuse one anyway,
        # the reader gets "no results" and the log says so (without what they typed).
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


def _postgres(query: SearchQuery, offset: int, per_page: int, limit: int) -> Found:
    # Parallel workers cost more to start than this query takes when it walks the newest
    # blogs (measured: 83 ms with two, 11 without, for a tag on 1 blog in 10 of 100,000).
    # A phrase whose words are everywhere but never side by side checks every blog (about
    # 300 ms over 100,000): this statement only is cut short, and the rest of the
    # transaction gets the server's own timeout back. (``limit`` is a parsed int.)
    settings = "SET LOCAL max_parallel_workers_per_gather = 0; "
    db.session.execute(text(settings + f"SET LOCAL statement_timeout = {limit:d}"))
    found = _postgres_page(query, offset, per_page)
    db.session.execute(text("SET LOCAL statement_timeout TO DEFAULT"))
    return found


def _postgres_page(query: SearchQuery, offset: int, per_page: int) -> Found:
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
