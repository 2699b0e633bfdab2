"""What a reader typed, parsed once: words, "quoted phrases", ``or`` and ``-excluded``.

The same parse feeds both databases, so both read a query alike:
``canonical()`` is web-search text that PostgreSQL's ``websearch_to_tsquery`` reads (and
the cache key), ``fts5()`` an FTS5 expression in which every term is a quoted string, so no
character the reader typed can be FTS5 syntax (a stray quote, ``NEAR``, ``*``, ``:``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 200  # characters; a longer query is refused with a 400 page
MAX_TERMS = 32  # words and phrases; each costs the database an index lookup
# A quoted phrase (its closing quote optional), or a run of anything but space and quotes.
TOKEN = re.compile(r'(-*)"([^"]*)"?|([^\s"]+)')
WORD = re.compile(r"[^\W_]")  # a letter or digit: a term without one finds nothing


@dataclass(frozen=True)
class Term:
    text: str  # what the reader typed, quotes removed
    excluded: bool = False

    def websearch(self) -> str:
        # Quoted even for one word: the parser then reads it as typed ("node.js" stays one
        # lexeme) and nothing in it can be an operator.
        return ("-" if self.excluded else "") + '"' + self.text + '"'

    def fts5(self) -> str:
        return '"' + self.text.replace('"', '""') + '"'  # quotes are gone; belt and braces


Group = tuple[Term, ...]  # terms that must all hold (excluded ones must not)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: groups joined by OR, each an AND of its terms."""

    groups: tuple[Group, ...]
    problem: str | None = None  # why there is nothing to search for, in the reader's words
    too_long: bool = False

    def canonical(self) -> str:
        """Return the query as web-search text: ``"a" "b" -"c" or "d"``."""
        return " or ".join(" ".join(term.websearch() for term in group) for group in self.groups)

    def fts5(self) -> str:
        """Return the query as an FTS5 expression: ``("a" AND "b") NOT "c" OR ("d")``."""
        ors = []
        for group in self.groups:
            wanted = " AND ".join(t.fts5() for t in group if not t.excluded)
            expression = f"({wanted})"
            for term in group:
                if term.excluded:  # FTS5's NOT is binary: "wanted NOT unwanted"
                    expression = f"({expression} NOT {term.fts5()})"
            ors.append(expression)
        return " OR ".join(ors)


def parse(text: str) -> SearchQuery:
    """Parse a reader's query; an empty, too long or unusable one carries ``problem``."""
    text = text.strip()
    if not text:
        return SearchQuery((), "Type a word or two to search for.")
    if len(text) > MAX_LENGTH:
        return SearchQuery((), f"A search can be at most {MAX_LENGTH} characters long.", True)
    groups: list[Group] = []
    current: list[Term] = []
    terms = 0
    for match in TOKEN.finditer(text):
        dashes, phrase, word = match.groups()
        if phrase is None and word.lower() == "or":
            if current:  # "or" between two terms; at either end, or doubled, it is ignored
                groups.append(tuple(current))
                current = []
            continue
        excluded = bool(dashes) if phrase is not None else word.startswith("-")
        body = " ".join(phrase.split()) if phrase is not None else word.lstrip("-")
        if WORD.search(body):
            current.append(Term(body, excluded))
            terms += 1
    if current:
        groups.append(tuple(current))
    if terms > MAX_TERMS:
        return SearchQuery((), f"A search can hold at most {MAX_TERMS} words.", True)
    if not groups:
        return SearchQuery((), "Search with letters or digits: punctuation alone finds nothing.")
    # A group of only excluded words would match nearly every blog, and FTS5 cannot say it.
    wanted = tuple(g for g in groups if any(not t.excluded for t in g))
    if not wanted:
        return SearchQuery((), "Add a word to look for: excluded words alone find nothing.")
    return SearchQuery(wanted)
