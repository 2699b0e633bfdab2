"""Blogs: their status, tags and cover image, and deleting one (its cover goes with it)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from ..extensions import db
from ..models import STATUS_DRAFT, STATUS_PUBLISHED, Blog, CoverImage, MediaFile, Tag
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
