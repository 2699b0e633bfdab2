"""Writing on the site: new, edit and delete a blog, for its author and for staff."""

from __future__ import annotations

import re
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
from ..logs import log_event
from ..markup import render_markdown
from ..media import uploads
from ..models import STATUS_PUBLISHED, Blog, MediaFile
from ..templating import local_time
from ..throttling import throttled
from ..users import signed_in_account
from . import bp
from .forms import BlogForm, DeleteForm, ImageForm

MARKDOWN_SPECIAL = re.compile(r"[\\\[\]()*_`<>!]")
SAVE_RACE = (
    "Someone saved a blog with this title, or created one of these tags, a moment ago. "
    "Nothing was saved: check the form and send it again."
)


def save(blog: Blog, form: BlogForm) -> bool:
    """Write the form into ``blog`` and commit it whole; False (and a form error) if not."""
    try:
        # A new cover's files are stored before the commit and deleted again if it fails.
        with uploads.all_or_nothing() as pending:
            # Half-built rows must not be flushed by the look-ups below.
            with db.session.no_autoflush:
                blog.title = form.title.data or ""
                blog.content = form.content.data or ""
                publishing.set_status(blog, form.status.data or "")
                publishing.set_publish_at(blog, form.publish_at.data)
                blog.tags = publishing.resolve_tags(form.tag_names)
                media = None
                if form.cover_picture is not None:
                    media = uploads.add_picture(
                        pending, form.cover_picture, alt=form.cover_alt.data or "",
                        uploader_id=signed_in_account().id,
                    )  # fmt: skip
                publishing.set_cover(
                    blog, form.cover_image.data, media=media, alt=form.cover_alt.data or "",
                    remove=bool(form.remove_cover.data),
                )  # fmt: skip
                publishing.ensure_slug(blog)
                db.session.add(blog)
            db.session.commit()
        if media is not None:
            log_event("media.uploaded", {"media_id": media.id, "blog_id": blog.id, "use": "cover"})
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
        "cover_image": (blog.cover_image.image_link or "") if blog.cover_image else "",
        "cover_alt": blog.cover_image.alt_text if blog.cover_image else "",
        "status": blog.status,
    }


def picture_markdown(name: str, alt: str) -> str:
    """Return the Markdown that shows picture ``name``, its alt text escaped."""
    escaped = MARKDOWN_SPECIAL.sub(lambda match: "\\" + match[0], alt)
    return f"![{escaped}](/media/{name})"


def blog_pictures(blog_id: int) -> list[dict[str, str]]:
    """Return the pictures uploaded for a blog, newest first, with the Markdown to paste."""
    query = select(MediaFile).where(MediaFile.blog_id == blog_id)
    rows = db.session.scalars(query.order_by(MediaFile.id.desc()).limit(100))
    return [
        {"name": media.name, "alt": media.alt_text,
         "markdown": picture_markdown(media.name, media.alt_text)}
        for media in rows
    ]  # fmt: skip


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
@throttled("upload")  # counts only a request that carries a picture
def new() -> str | Response:
    form = BlogForm()
    if form.validate_on_submit() and not form.preview.data:
        blog = Blog(author=profile_of(signed_in_account()))
        if save(blog, form):
            flash(saved_message(blog, created=True), "success")
            return redirect(url_for("blog.detail", slug=blog.slug))
    return render_editor(None, form, ImageForm(formdata=None))


@bp.route("/blog/<slug>/edit", methods=["GET", "POST"])
@login_required
@csrf.exempt  # BlogForm runs the CSRF check itself and keeps the text on a failure
@throttled("upload")  # counts only a request that carries a picture
def edit(slug: str) -> str | Response:
    blog = editable_blog(slug)
    # The stored values fill the form on GET only: a field missing from a POST is empty.
    stored = None if request.method == "POST" else stored_values(blog)
    uploaded = blog.cover_image is not None and blog.cover_image.media_id is not None
    form = BlogForm(data=stored, blog_id=blog.id, uploaded_cover=uploaded)
    if form.validate_on_submit() and not form.preview.data and save(blog, form):
        flash(saved_message(blog, created=False), "success")
        return redirect(url_for("blog.detail", slug=blog.slug))
    return render_editor(blog, form, ImageForm(formdata=None))


def render_editor(blog: Blog | None, form: BlogForm, image_form: ImageForm) -> str:
    """Render the editor: the blog's form, and for a saved blog its pictures."""
    pictures = blog_pictures(blog.id) if blog is not None else []
    return render_template(
        "blog/edit.html", form=form, blog=blog, preview=preview_of(form),
        image_form=image_form, pictures=pictures,
    )  # fmt: skip


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
