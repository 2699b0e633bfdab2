"""The sitemap's URLs by position, streamed from the database one slice at a time.

Positions run: the home page, published blogs by id, authors with a published blog by id,
tags by id. A part of a large sitemap reads only its own slice of each (a server-side
cursor, ``yield_per``) and formats each URL from a template built once, not by ``url_for``
per row: 50,000 URLs cost tens of milliseconds, not seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from markupsafe import escape
from sqlalchemy import Select, case, func, select, union_all

from ..caching import cached, reading_now
from ..domain import publishing
from ..extensions import db
from ..models import Author, Blog, Tag, blog_tags
from ..site_url import absolute_url

Row = tuple[str, Any, datetime | str | None]  # endpoint, its one argument, last change
SAFE = "!$&'()*+,/:;=@"  # what werkzeug's path converters leave unquoted
PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")  # unchanged by quote() and by XML escaping
HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
STREAM = 5_000  # rows per fetch from the server-side cursor


@cached(lambda: ["lists"])
def sizes() -> dict[str, int]:
    """Return how many blogs, authors and tags the sitemap lists (one query)."""
    shown = publishing.visible(reading_now())
    blogs = select(func.count()).select_from(Blog).where(shown).scalar_subquery()
    authors = select(func.count()).select_from(_author_changes(shown).subquery()).scalar_subquery()
    tags = select(func.count()).select_from(Tag).scalar_subquery()
    counts = db.session.execute(select(blogs, authors, tags)).one()
    return dict(zip(("blogs", "authors", "tags"), map(int, counts), strict=True))


def total(counts: dict[str, int]) -> int:
    """Return the number of URLs: the home page and every blog, author and tag."""
    return 1 + sum(counts.values())


def _author_changes(shown: Any) -> Select[Any]:
    """Select (author id, latest change of their visible blogs) of authors who have one."""
    # One descent of ix_blogs_author_status_updated_publish per author: the cost follows the
    # number of authors, not of blogs (a GROUP BY would read every published blog).
    latest = (
        select(func.max(Blog.updated_at))
        .where(Blog.author_id == Author.id, shown)
        .scalar_subquery()
    )
    inner = select(Author.id.label("id"), latest.label("changed")).subquery()
    return select(inner.c.id, inner.c.changed).where(inner.c.changed.is_not(None))


def _tag_changes(now: datetime) -> Select[Any]:
    """Select (tag id, slug, last change of its page) of every tag: its newest visible blog."""
    # One descent of the tag listing index per tag (blog_tags' copies of each blog's status,
    # created_at and publish_at), never a read of the tag's blogs; a tag whose blogs are all
    # drafts, scheduled or older than its own last edit keeps that edit's time.
    link = blog_tags.c
    newest = (
        select(func.max(link.created_at))
        .where(link.tag_id == Tag.id, publishing.visible(now, link.status, link.publish_at))
        .scalar_subquery()
    )
    sub = select(
        Tag.id.label("id"), Tag.slug.label("slug"), Tag.updated_at.label("own"),
        newest.label("newest"),
    ).subquery()  # fmt: skip
    changed = case((sub.c.newest > sub.c.own, sub.c.newest), else_=sub.c.own)
    return select(sub.c.id, sub.c.slug, changed.label("changed"))


def iso_utc(column: Any) -> Any:
    """Return SQL writing ``lastmod(column)``: the database formats, Python only joins."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)  # SQLite: stored as naive UTC text


def _slices(
    stamp: Callable[[Any], Any] = lambda c: c,
) -> list[tuple[str, str, Select[Any], Select[Any]]]:
    """Return (kind, endpoint, its URLs' rows in order, (order key, change) unordered)."""
    now = reading_now()
    published = publishing.visible(now)
    authors, tags = _author_changes(published), _tag_changes(now)
    author_id, author_changed = authors.selected_columns
    tag_id, tag_slug, tag_changed = tags.selected_columns
    blogs = select(Blog.slug, stamp(Blog.updated_at)).where(published).order_by(Blog.id)
    return [
        ("blogs", "blog.detail", blogs, select(Blog.id, Blog.updated_at).where(published)),
        ("authors", "blog.author",
         authors.with_only_columns(author_id, stamp(author_changed)).order_by(author_id), authors),
        ("tags", "blog.tag", tags.with_only_columns(tag_slug, stamp(tag_changed)).order_by(tag_id),
         tags.with_only_columns(tag_id, tag_changed)),
    ]  # fmt: skip


def rows(counts: dict[str, int], start: int, stop: int, stamped: bool = False) -> Iterator[Row]:
    """Yield the URLs at positions ``start`` to ``stop`` (one query per kind, always).

    ``stamped`` yields each change as its ``lastmod`` text, formatted by the database.
    """
    if start == 0:
        yield "blog.index", None, None
    base = 1
    for kind, endpoint, stmt, _ in _slices(iso_utc if stamped else lambda c: c):
        low, high = max(start - base, 0), max(min(stop - base, counts[kind]), 0)
        base += counts[kind]
        sliced = stmt.offset(low).limit(max(high - low, 0)).execution_options(yield_per=STREAM)
        for key, changed in db.session.execute(sliced):
            if isinstance(changed, datetime) and changed.tzinfo is None:
                changed = changed.replace(tzinfo=UTC)  # SQLite: naive, stored as UTC
            yield endpoint, key, changed


def latest_by_part(counts: dict[str, int], size: int) -> dict[int, datetime]:
    """Return each part's latest change, aggregated in SQL by position (one query).

    A row's part is its position (as ``rows`` numbers them) integer-divided by ``size``,
    plus one; the database groups by it, so no row leaves the database.
    """
    base, selects = 1, []
    for kind, _, _, keyed in _slices():
        inner = keyed.subquery()
        key, changed = inner.c
        number = func.row_number().over(order_by=key) - 1 + base
        positioned = select((number // size + 1).label("part"), changed.label("changed"))
        sub = positioned.subquery()
        selects.append(select(sub.c.part, func.max(sub.c.changed)).group_by(sub.c.part))
        base += counts[kind]
    latest: dict[int, datetime] = {}
    for number, changed in db.session.execute(union_all(*selects)):
        if changed is None:
            continue
        if changed.tzinfo is None:
            changed = changed.replace(tzinfo=UTC)  # SQLite: naive, stored as UTC
        if int(number) not in latest or changed > latest[int(number)]:
            latest[int(number)] = changed
    return latest


def url_maker() -> Callable[[str, Any], str]:
    """Return ``(endpoint, key) -> the URL, XML-escaped``, building each endpoint's URL once."""
    marker = "zzsitemapkeyzz"
    templates: dict[str, tuple[str, str]] = {"blog.index": (absolute_url("blog.index"), "")}
    for endpoint, argument in (
        ("blog.detail", "slug"), ("blog.author", "author_id"), ("blog.tag", "slug")
    ):  # fmt: skip
        value: Any = 2_147_483_647 if argument == "author_id" else marker
        head, _, tail = absolute_url(endpoint, **{argument: value}).rpartition(str(value))
        templates[endpoint] = (str(escape(head)), str(escape(tail)))

    def make(endpoint: str, key: Any) -> str:
        head, tail = templates[endpoint]
        if key is None:
            return head
        text = str(key)
        # Slugs and ids need neither quoting nor escaping: skip both, 50,000 times a part.
        if not PLAIN.fullmatch(text):
            text = str(escape(quote(text, safe=SAFE)))
        return head + text + tail

    return make


def lastmod(changed: datetime) -> str:
    """Return ``iso_datetime(changed)`` (RFC 3339 in UTC) faster than strftime."""
    if changed.utcoffset():
        changed = changed.astimezone(UTC)
    return changed.isoformat(timespec="seconds")[:19] + "Z"  # drop "+00:00", if any


def urlset(found: Iterator[Row]) -> str:
    """Return a sitemap ``<urlset>`` of these URLs, as the template used to write it."""
    url = url_maker()
    lines = [HEAD]
    for endpoint, key, changed in found:
        if isinstance(changed, datetime):
            changed = lastmod(changed)
        stamp = f"<lastmod>{changed}</lastmod>" if changed else ""
        lines.append(f"\n  <url><loc>{url(endpoint, key)}</loc>{stamp}</url>")
    lines.append("\n</urlset>")
    return "".join(lines)
