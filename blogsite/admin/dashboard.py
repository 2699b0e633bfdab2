"""The console's front page: counts, blogs per day, cache and throttle figures, recent actions.

Everything is read when the page is asked for (staff pages are never cached); each figure
links to the console page that lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, not_, select

from ..domain import publishing
from ..extensions import db
from ..metrics import totals
from ..models import STATUS_DRAFT, STATUS_PUBLISHED, Author, Blog, User, utcnow

DAYS = 30
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 600, 120, 2


def counts(now: datetime) -> dict[str, int]:
    """Return published (visible now), drafts, scheduled, authors and users: one query."""

    def count(model: Any, *where: Any) -> Any:
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    scheduled = (Blog.status == STATUS_PUBLISHED, not_(publishing.visible(now)))
    row = db.session.execute(
        select(
            count(Blog, publishing.visible(now)),
            count(Blog, Blog.status == STATUS_DRAFT),
            count(Blog, *scheduled),
            count(Author),
            count(User),
        )
    ).one()
    return dict(zip(("published", "drafts", "scheduled", "authors", "users"), row, strict=True))


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


def per_day(now: datetime, days: int = DAYS) -> list[Bar]:
    """Return one bar per day (UTC) of the last ``days`` days: the blogs written that day."""
    first = (now.astimezone(UTC) - timedelta(days=days - 1)).date()
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    column: Any = Blog.created_at
    if db.session.get_bind().dialect.name == "postgresql":
        column = func.timezone("UTC", column)  # the UTC day, whatever the session's TimeZone
    day = func.date(column)  # SQLite stores naive UTC text
    rows = db.session.execute(
        select(day, func.count()).where(Blog.created_at >= start).group_by(day)
    ).all()
    found = {str(value)[:10]: int(number) for value, number in rows}
    numbers = [(first + timedelta(days=i), 0) for i in range(days)]
    numbers = [(d, found.get(d.isoformat(), 0)) for d, _ in numbers]
    top = max((n for _, n in numbers), default=0) or 1
    width = CHART_WIDTH / days
    bars = []
    for index, (when, number) in enumerate(numbers):
        height = round(CHART_HEIGHT * number / top, 1)
        bars.append(
            Bar(when, number, round(index * width, 1), CHART_HEIGHT - height,
                round(width - BAR_GAP, 1), height)
        )  # fmt: skip
    return bars


def cache_figures() -> dict[str, Any]:
    """Return hits, misses and the hit ratio of each cache since the workers started."""
    by_cache: dict[str, dict[str, float]] = {}
    for (cache, result), value in totals("blogsite_cache_requests", "cache").items():
        by_cache.setdefault(cache, {"hit": 0.0, "miss": 0.0})[result] = value
    rows: list[dict[str, Any]] = []
    for cache, numbers in sorted(by_cache.items()):
        looked = numbers["hit"] + numbers["miss"]
        ratio = numbers["hit"] / looked if looked else None
        rows.append({"cache": cache, "hits": int(numbers["hit"]), "misses": int(numbers["miss"]),
                     "ratio": ratio})  # fmt: skip
    hits = sum(int(row["hits"]) for row in rows)
    looked = hits + sum(int(row["misses"]) for row in rows)
    return {"rows": rows, "ratio": hits / looked if looked else None}


def throttled() -> list[tuple[str, int]]:
    """Return the 429 answers of each throttle scope since the workers started."""
    found = totals("blogsite_throttled_requests", "scope")
    return sorted(((key[0], int(value)) for key, value in found.items()), key=lambda r: -r[1])


def figures() -> dict[str, Any]:
    """Return everything the dashboard shows but the recent actions."""
    now = utcnow()
    return {
        "counts": counts(now),
        "bars": per_day(now),
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT},
        "cache": cache_figures(),
        "throttled": throttled(),
    }
