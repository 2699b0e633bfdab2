"""Full-text search of the published blogs: PostgreSQL tsvector + GIN, SQLite FTS5.

``query.parse`` reads what a reader typed (words, "phrases", ``or``, ``-excluded``) the
same way for both databases; ``schema`` builds the index that triggers keep in step with
every write; ``engine.run`` ranks the matches and marks them; ``highlight.highlighted``
turns the marks into safe HTML. ``init_app`` makes ``create_all`` build the index too.
"""

from __future__ import annotations

from flask import Flask

from ..extensions import db
from . import schema
from .engine import RANKED, Found, Hit, SearchTimeoutError, run, searchable
from .highlight import highlighted
from .query import MAX_LENGTH, SearchQuery, parse

__all__ = [
    "MAX_LENGTH",
    "RANKED",
    "Found",
    "Hit",
    "SearchQuery",
    "SearchTimeoutError",
    "highlighted",
    "init_app",
    "parse",
    "run",
    "searchable",
]


def init_app(app: Flask) -> None:
    """Have ``db.create_all`` build the search index (migration 0007 builds it otherwise)."""
    schema.listen(db.metadata)
