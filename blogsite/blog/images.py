"""Pictures for a blog's body: uploaded from the editor, listed there with their Markdown."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from ..extensions import csrf, db
from ..logs import log_event
from ..media import uploads
from ..throttling import throttled
from ..users import signed_in_account
from . import bp
from .editor import editable_blog, render_editor, stored_values
from .forms import BlogForm, ImageForm


@bp.post("/blog/<slug>/images")
@login_required
@csrf.exempt  # ImageForm runs the CSRF check itself and explains a failure
@throttled("upload")
def upload_image(slug: str) -> str | Response:
    blog = editable_blog(slug)
    form = ImageForm()
    if form.validate_on_submit() and form.picture is not None:
        with uploads.all_or_nothing() as pending:
            media = uploads.add_picture(
                pending, form.picture, alt=form.alt.data or "", blog=blog,
                uploader_id=signed_in_account().id,
            )  # fmt: skip
            db.session.commit()
        log_event("media.uploaded", {"media_id": media.id, "blog_id": blog.id, "use": "body"})
        flash("Picture uploaded: copy its Markdown below into your text.", "success")
        return redirect(url_for("blog.edit", slug=blog.slug, _anchor="pictures"))
    uploaded = blog.cover_image is not None and blog.cover_image.media_id is not None
    blog_form = BlogForm(formdata=None, data=stored_values(blog), blog_id=blog.id,
                         uploaded_cover=uploaded)  # fmt: skip
    return render_editor(blog, blog_form, form)
