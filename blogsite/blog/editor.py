"""Writing on the site: new, edit and delete a blog, for its author and for staff."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from ..extensions import csrf, db
from ..markup import render_markdown
from ..models import STATUS_PUBLISHED, Author, Blog, CoverImage, Tag, User
from ..normalize import slugify
from ..users import signed_in_account
from . import bp
from .forms import TAG_NAME_MAX, BlogForm, DeleteForm

SLUG_MAX = 110  # Blog.slug is String(120): room for a "-NNNN" suffix
SAVE_RACE = (
    "Someone saved a blog with this title, or created one of these tags, a moment ago. "
    "Nothing was saved: check the form and send it again."
)


def reserved_slugs() -> set[str]:
    """Return the fixed paths under /blog/ that a blog's slug must not shadow."""
    names = {"new"}
    for rule in current_app.url_map.iter_rules():
        parts = rule.rule.split("/")
        if len(parts) > 2 and parts[1] == "blog" and parts[2] and "<" not in parts[2]:
            names.add(parts[2])
    return names


def unique_slug(column: InstrumentedAttribute[str], base: str, taken: set[str]) -> str:
    """Return ``base``, or ``base-2``, ``base-3``... whichever is free in ``column``."""
    # slugify yields only [a-z0-9-], so the LIKE pattern needs no escaping.
    stmt = select(column).where(or_(column == base, column.like(f"{base}-%")))
    taken = taken | set(db.session.scalars(stmt))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def resolve_tags(names: list[str]) -> list[Tag]:
    """Return a Tag for each name: existing ones whatever their case, new ones otherwise."""
    if not names:
        return []
    folded = [name.lower() for name in names]
    existing = {
        tag.name.lower(): tag
        for tag in db.session.scalars(select(Tag).where(func.lower(Tag.name).in_(folded)))
    }
    tags, new_slugs = [], set()
    for name in names:
        tag = existing.get(name.lower())
        if tag is None:
            slug = unique_slug(Tag.slug, slugify(name, TAG_NAME_MAX, fallback="tag"), new_slugs)
            new_slugs.add(slug)
            tag = Tag(name=name, slug=slug)
        tags.append(tag)
    return tags


def set_cover(blog: Blog, link: str | None) -> None:
    """Point the blog's cover image at ``link``; no link removes the cover."""
    if not link:
        if blog.cover_image is not None:
            old, blog.cover_image = blog.cover_image, None
            db.session.delete(old)
    elif blog.cover_image is None:
        blog.cover_image = CoverImage(image_link=link)
    else:
        blog.cover_image.image_link = link


def save(blog: Blog, form: BlogForm) -> bool:
    """Write the form into ``blog`` and commit it whole; False (and a form error) if not."""
    try:
        # Half-built rows must not be flushed by the look-ups below.
        with db.session.no_autoflush:
            blog.title = form.title.data or ""
            blog.content = form.content.data or ""
            blog.status = form.status.data
            blog.tags = resolve_tags(form.tag_names)
            set_cover(blog, form.cover_image.data)
            if not blog.slug:  # set once: links to the blog survive a new title
                base = slugify(blog.title, SLUG_MAX)
                blog.slug = unique_slug(Blog.slug, base, reserved_slugs())
            db.session.add(blog)
        db.session.commit()
    except IntegrityError:  # a concurrent save took the title, slug or a tag name
        db.session.rollback()
        form.form_errors.append(SAVE_RACE)
        return False
    except StaleDataError:  # deleted by someone else while this form was open
        db.session.rollback()
        abort(404)
    return True


def author_of(user: User) -> Author:
    """Return the user's author profile, creating it for accounts made without one."""
    return user.author or Author(name=user.name or user.phone_no, user=user)


def editable_blog(slug: str) -> Blog:
    """Return the blog ``slug`` if the current user may change it; 403 or 404 if not."""
    blog = db.session.scalar(select(Blog).where(Blog.slug == slug)) if len(slug) <= 120 else None
    if blog is None:
        abort(404)
    if not (current_user.is_staff or blog.author.user_id == current_user.id):
        # Someone else's draft is not there for this user at all (as on its page).
        abort(403 if blog.status == STATUS_PUBLISHED else 404)
    return blog


def stored_values(blog: Blog) -> dict[str, str]:
    """Return the blog as the editor shows it."""
    return {
        "title": blog.title,
        "content": blog.content,
        "tags": ", ".join(tag.name for tag in blog.tags),
        "cover_image": blog.cover_image.image_link if blog.cover_image else "",
        "status": blog.status,
    }


def preview_of(form: BlogForm) -> Markup | None:
    """Render the submitted content when the writer asked for a preview."""
    return render_markdown(form.content.data or "") if form.preview.data else None


def saved_message(blog: Blog, created: bool) -> str:
    """Say what a save did, in the words of its status."""
    if blog.status == STATUS_PUBLISHED:
        return "Your blog is published." if created else "Your changes are saved and published."
    return "Your draft is saved; only you can see it."


@bp.route("/blog/new", methods=["GET", "POST"])
@login_required
@csrf.exempt  # BlogForm runs the CSRF check itself and keeps the text on a failure
def new() -> str | Response:
    form = BlogForm()
    if form.validate_on_submit() and not form.preview.data:
        blog = Blog(author=author_of(signed_in_account()))
        if save(blog, form):
            flash(saved_message(blog, created=True), "success")
            return redirect(url_for("blog.detail", slug=blog.slug))
    return render_template("blog/edit.html", form=form, blog=None, preview=preview_of(form))


@bp.route("/blog/<slug>/edit", methods=["GET", "POST"])
@login_required
@csrf.exempt  # BlogForm runs the CSRF check itself and keeps the text on a failure
def edit(slug: str) -> str | Response:
    blog = editable_blog(slug)
    # The stored values fill the form on GET only: a field missing from a POST is empty.
    stored = None if request.method == "POST" else stored_values(blog)
    form = BlogForm(data=stored, blog_id=blog.id)
    if form.validate_on_submit() and not form.preview.data and save(blog, form):
        flash(saved_message(blog, created=False), "success")
        return redirect(url_for("blog.detail", slug=blog.slug))
    return render_template("blog/edit.html", form=form, blog=blog, preview=preview_of(form))


@bp.route("/blog/<slug>/delete", methods=["GET", "POST"])
@login_required
@csrf.exempt  # DeleteForm runs the CSRF check itself and explains a failure
def delete(slug: str) -> str | Response:
    blog = editable_blog(slug)
    form = DeleteForm()
    if form.validate_on_submit():
        title, author_id, cover = blog.title, blog.author_id, blog.cover_image
        db.session.delete(blog)
        if cover is not None:
            db.session.delete(cover)
        db.session.commit()
        flash(f"“{title}” is deleted.", "success")
        return redirect(url_for("blog.author", author_id=author_id))
    return render_template("blog/delete.html", blog=blog, form=form)
