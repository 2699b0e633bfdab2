"""Blogs: their status, schedule, tags and cover image, and deleting one (with its cover).

What readers see is one rule, ``visible``: published, and either unscheduled or due. Every
reader's query (listings, feeds, sitemaps, search) uses it, so a scheduled blog appears
everywhere at the same moment and nowhere before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, event, func, or_, select
from sqlalchemy.orm.attributes import flag_modified

from .. import reads
from ..extensions import db
from ..models import STATUS_DRAFT, STATUS_PUBLISHED, Blog, CoverImage, MediaFile, Tag, utcnow
from .slugs import blog_slug, tag_slug
from .validation import RuleError

STATUS_CHOICES = [(STATUS_PUBLISHED, "Published"), (STATUS_DRAFT, "Draft")]
STATUSES = frozenset(value for value, _ in STATUS_CHOICES)


def set_status(blog: Blog, status: str) -> bool:
    """Give ``blog`` the status ``status``; return whether that changed anything."""
    if status not in STATUSES:
        raise RuleError("Choose draft or published.", field="status")
    if blog.status == status:
        return False
    blog.status = status
    return True


def set_statuses(ids: Iterable[int], status: str) -> list[Blog]:
    """Give the blogs ``ids`` the status ``status``; return those that changed."""
    blogs = db.session.scalars(select(Blog).where(Blog.id.in_(list(ids)))).all()
    return [blog for blog in blogs if set_status(blog, status)]


def visible(
    now: datetime | ColumnElement[Any], status: Any = None, publish_at: Any = None
) -> ColumnElement[bool]:
    """Return the SQL rule of what readers see at ``now``: published and due.

    ``status`` and ``publish_at`` default to the blog's columns; a tag's listing passes the
    copies on ``blog_tags``.
    """
    status = Blog.status if status is None else status
    publish_at = Blog.publish_at if publish_at is None else publish_at
    return and_(status == STATUS_PUBLISHED, or_(publish_at.is_(None), publish_at <= now))


def is_visible(status: str, publish_at: datetime | None, now: datetime | None = None) -> bool:
    """Return ``visible`` for one blog's values (a page that already read them)."""
    due = publish_at is None or as_utc(publish_at) <= (now or utcnow())
    return status == STATUS_PUBLISHED and due


def upcoming(now: datetime | ColumnElement[Any]) -> Select[Any]:
    """Select when the next scheduled blog comes out after ``now`` (one index descent)."""
    # Never correlated: inside a listing's query it still reads every blog, not the row's.
    stmt = select(func.min(Blog.publish_at)).where(
        Blog.status == STATUS_PUBLISHED, Blog.publish_at > now
    )
    return stmt.correlate(None)


def next_publication(now: datetime) -> datetime | None:
    """Return when the next scheduled blog comes out after ``now``."""
    found: datetime | None = reads.scalar(upcoming(now))
    return None if found is None else as_utc(found)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC (SQLite hands back naive datetimes; all are stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_local(value: datetime, zone: str) -> datetime:
    """Return the wall-clock time ``value`` of the site's ``zone`` in UTC.

    A time the clocks skip (a spring-forward gap) is refused rather than guessed.
    """
    local = value.replace(tzinfo=ZoneInfo(zone))
    moment = local.astimezone(UTC)
    if moment.astimezone(local.tzinfo).replace(tzinfo=None) != value.replace(tzinfo=None):
        raise RuleError(f"That time does not exist in {zone} (the clocks change).", "publish_at")
    return moment


def to_local(value: datetime, zone: str) -> datetime:
    """Return a stored (UTC) time as a naive wall-clock time of ``zone``."""
    return as_utc(value).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def set_publish_at(blog: Blog, moment: datetime | None) -> bool:
    """Schedule ``blog`` for ``moment`` (UTC; None: no schedule); return whether it changed.

    The blog is then dated by its publication (``date_by_publication``).
    """
    current = None if blog.publish_at is None else as_utc(blog.publish_at)
    if current == moment:
        return False
    blog.publish_at = moment
    return True


def date_by_publication(blog: Blog, moment: Any, previous: Any, _initiator: Any = None) -> Any:
    """Date ``blog`` by its publication when its ``publish_at`` goes ``previous`` -> ``moment``.

    Readers expect a blog written Monday for Friday at the top on Friday, dated Friday. Its
    listing date is ``created_at``: every listing, its indexes, its keyset cursors and the
    copies on blog_tags (tag_copies.py) order by it, so moving ``created_at`` to the
    publication keeps every listing one index scan with nothing else changed (a separate
    "listed at" column would mean new indexes on blogs and blog_tags). The time of writing
    is given up; ``updated_at`` still says when it last changed. Unscheduling a blog still
    to come publishes it now, so it is dated now; one already out keeps its date.
    """
    new = None if moment is None else as_utc(moment)
    old = previous if isinstance(previous, datetime) else None  # NO_VALUE on a new blog
    old = None if old is None else as_utc(old)
    if new == old:
        return moment  # the console writes back the same time on every save
    if new is not None:
        blog.created_at = new
    elif old is not None and old > utcnow():
        blog.created_at = utcnow()
    return moment


def not_changed_before_publication(_mapper: Any, _connection: Any, blog: Blog) -> None:
    """Give a blog still to come its publication as last change, however often it is edited.

    Readers first see it then: its page, feed entries and sitemap lastmods must not say it
    was updated before it came out (an edit after publication moves it on as usual).
    """
    when = blog.publish_at
    if when is not None and as_utc(when) > utcnow():
        blog.updated_at = as_utc(when)
        flag_modified(blog, "updated_at")  # written even when equal: else onupdate says now


def listen() -> None:
    """Date blogs by their publication however publish_at is set (editor, console, CLI)."""
    # An attribute event, not a call in each writer: the console's form writes the column
    # itself, and no future writer has to remember. Bulk statements bypass it (seeding
    # writes no schedule).
    if event.contains(Blog.publish_at, "set", date_by_publication):
        return
    event.listen(Blog.publish_at, "set", date_by_publication, retval=True, active_history=True)
    for moment in ("before_insert", "before_update"):
        event.listen(Blog, moment, not_changed_before_publication)


def ensure_slug(blog: Blog) -> None:
    """Give ``blog`` a slug from its title unless it has one (then it never changes)."""
    if not blog.slug:  # links to the blog survive a new title
        blog.slug = blog_slug(blog.title, own_id=blog.id)


def resolve_tags(names: list[str]) -> list[Tag]:
    """Return a Tag for each name: existing ones whatever their case, new ones otherwise."""
    if not names:
        return []
    folded = [name.lower() for name in names]
    existing = {
        tag.name.lower(): tag
        for tag in db.session.scalars(select(Tag).where(func.lower(Tag.name).in_(folded)))
    }
    tags: list[Tag] = []
    new_slugs: set[str] = set()
    for name in names:
        tag = existing.get(name.lower())
        if tag is None:
            slug = tag_slug(name, new_slugs)
            new_slugs.add(slug)
            tag = Tag(name=name, slug=slug)
        tags.append(tag)
    return tags


def set_cover(
    blog: Blog,
    link: str | None,
    media: MediaFile | None = None,
    alt: str | None = None,
    remove: bool = False,
) -> None:
    """Set the blog's cover: an uploaded picture, else a link; no link drops a linked cover.

    An uploaded cover stays when the form sends no link (its file field is always empty
    when the editor opens); ``remove`` drops any cover.
    """
    cover = blog.cover_image
    keeps_upload = cover is not None and cover.media_id is not None and not link
    if remove or (media is None and not link and not keeps_upload):
        if cover is not None:
            blog.cover_image = None
            db.session.delete(cover)
        return
    if cover is None:
        cover = blog.cover_image = CoverImage()
    if media is not None:
        cover.media, cover.image_link = media, None
    elif link:
        cover.media, cover.image_link = None, link
    if alt is not None:
        cover.alt_text = alt


def check_cover_free(cover: CoverImage | None, blog_id: int | None) -> None:
    """Refuse a cover image another blog shows (the ORM would silently move it)."""
    # Checked before the form fills the blog in: by then the ORM has moved the cover.
    if cover is not None and cover.blog is not None and cover.blog.id != blog_id:
        message = f"This image is already the cover of “{cover.blog.title}”."
        raise RuleError(message, field="cover_image")


def drop_cover(blog: Blog) -> CoverImage | None:
    """Delete the cover image of a blog being deleted (a cover belongs to one blog)."""
    cover = blog.cover_image
    if cover is not None:
        db.session.delete(cover)
    return cover


def delete_blog(blog: Blog) -> None:
    """Delete ``blog`` and its cover image."""
    drop_cover(blog)
    db.session.delete(blog)
