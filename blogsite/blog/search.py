"""The search page: ``/search?q=``, throttled, its results cached under ``lists``."""

from __future__ import annotations

import math
from typing import Any

from flask import render_template, request

from .. import search
from ..caching import cached
from ..throttling import throttled
from . import bp, queries
from .views import page_arg, per_page

TOO_SLOW = "This search took too long; try fewer or more specific words."


# Every published blog's title, tags and body can change a result, and any change to one
# bumps "lists" (caching/invalidation.py); drafts never show, so their edits need not.
@cached(lambda terms, page, size: ["lists"])
def search_results(terms: str, page: int, size: int) -> dict[str, Any]:
    """Return one page of results for a canonical query (``SearchQuery.canonical``)."""
    found = search.run(search.parse(terms), page, size)
    cards = queries.summaries([hit.id for hit in found.hits]) if found.hits else {}
    items = [
        cards[hit.id] | {"title_marked": hit.title, "snippet": hit.snippet}
        for hit in found.hits
        if hit.id in cards
    ]
    return {
        "items": items,
        "page": page,
        "pages": max(1, math.ceil(found.matches / size)),
        "total": found.matches,
        "exact": not found.capped,
        "after": None,  # no keyset cursors: results are ranked, not dated
        "newer": None,
    }


@bp.get("/search")
@throttled("search")
def search_page() -> tuple[str, int]:
    """Show the published blogs matching ``?q=``; a query to refuse gets a friendly page."""
    text = request.args.get("q", "")
    query = search.parse(text)
    text = text[: search.MAX_LENGTH]  # what the box shows again
    page = page_arg()
    if query.problem:
        status = 400 if query.too_long else 200
        return render_template("blog/search.html", q=text, problem=query.problem), status
    try:
        results = search_results(query.canonical(), page, per_page())
    except search.SearchTimeoutError:
        # 200, like the other queries it cannot answer: a reader's words must not raise the
        # site's error rate. The engine logged it (search_timeout).
        return render_template("blog/search.html", q=text, problem=TOO_SLOW), 200
    return render_template(
        "blog/search.html", q=text, results=results, marked=search.highlighted
    ), 200
