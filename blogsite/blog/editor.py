"""Writing on the site: new, edit and delete a blog, for its author and for staff."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from ..domain import publishing
from ..domain.authors import profile_of
from ..extensions import csrf, db
from ..markup import render_markdown
from ..models import STATUS_PUBLISHED, Blog
from ..templating import local_time
from ..users import signed_in_account
from . import bp
from .forms import BlogForm, DeleteForm

SAVE_RACE = (
    "Someone saved a blog with this title, or created one of these tags, a moment ago. "
    "Nothing was saved: check the form and send it again."
)


def save(blog: Blog, form: BlogForm) -> bool:
    """Write the form into ``blog`` and commit it whole; False (and a form error) if not."""
    try:
        # Half-built rows must not be flushed by the look-ups below.
        with db.session.no_autoflush:
            blog.title = form.title.data or ""
            blog.content = form.content.data or ""
            publishing.set_status(blog, form.status.data or "")
            publishing.set_publish_at(blog, form.publish_at.data)
            blog.tags = publishing.resolve_tags(form.tag_names)
            publishing.set_cover(blog, form.cover_image.data)
            publishing.ensure_slug(blog)
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


def editable_blog(slug: str) -> Blog:
    """Return the blog ``slug`` if the current user may change it; 403 or 404 if not."""
    blog = db.session.scalar(select(Blog).where(Blog.slug == slug)) if len(slug) <= 120 else None
    if blog is None:
        abort(404)
    if not (current_user.is_staff or blog.author.user_id == current_user.id):
        # Someone else's draft or scheduled blog is not there for this user (as on its page).
        abort(403 if publishing.is_visible(blog.status, blog.publish_at) else 404)
    return blog


def stored_values(blog: Blog) -> dict[str, Any]:
    """Return the blog as the editor shows it."""
    return {
        "publish_at": blog.publish_at,  # the field shows it in the site's time zone
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
    if blog.is_scheduled:
        return f"Your blog is scheduled: readers see it from {local_time(blog.publish_at)}."
    if blog.status == STATUS_PUBLISHED:
        return "Your blog is published." if created else "Your changes are saved and published."
    return "Your draft is saved; only you can see it."


@bp.route("/blog/new", methods=["GET", "POST"])
@login_required
@csrf.exempt  # BlogForm runs the CSRF check itself and keeps the text on a failure
def new() -> str | Response:
    form = BlogForm()
    if form.validate_on_submit() and not form.preview.data:
        blog = Blog(author=profile_of(signed_in_account()))
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
        title, author_id = blog.title, blog.author_id
        publishing.delete_blog(blog)
        db.session.commit()
        flash(f"“{title}” is deleted.", "success")
        return redirect(url_for("blog.author", author_id=author_id))
    return render_template("blog/delete.html", blog=blog, form=form)
