"""Cover images in the console: upload a picture (or keep a link), thumbnails, who uses each."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from wtforms import FileField, Form, ValidationError
from wtforms.validators import Length, Optional

from ..domain.validation import RuleError
from ..domain.validators import http_url, strip_filter
from ..media import ImageRefused, uploads
from ..media.html import stored_picture
from ..models import ALT_MAX, CoverImage
from ..throttling import throttled
from .base import SecuredModelView

DATES = {"created_at": "Created", "updated_at": "Updated"}
PENDING = "media_pending_files"


def thumbnail(name: str, alt: str) -> Markup:
    """Return a small ``<img>`` of the stored picture ``name``."""
    tag = stored_picture(name, alt, sizes="96px", css_class="thumb", display_width=96)
    return tag or Markup("")


def cover_thumbnail(view: Any, context: Any, model: CoverImage, name: str) -> Markup | str:
    if model.media is not None:
        return thumbnail(model.media.name, model.alt_text)
    if model.image_link:
        return Markup('<a href="{}" rel="noopener noreferrer">{}</a>').format(
            model.image_link, model.image_link[:60]
        )
    return ""


def used_by(view: Any, context: Any, model: CoverImage, name: str) -> Markup | str:
    if model.blog is None:
        return "no blog"
    return Markup('<a href="/blog/{}/">{}</a>').format(model.blog.slug, model.blog.title)


def process_picture(form: Form, field: Any) -> None:
    """Process an uploaded cover while the form is validated; a refusal is a field error."""
    data = uploads.read_upload(field.data)
    form.cover_picture = None  # type: ignore[attr-defined]
    if data is not None:
        try:
            form.cover_picture = uploads.prepare(data)  # type: ignore[attr-defined]
        except ImageRefused as error:
            raise ValidationError(str(error)) from None


class CoverImageView(SecuredModelView):
    column_list = ["picture", "alt_text", "blog", *DATES]
    column_labels = {"picture": "Picture or link", "alt_text": "Description",
                     "blog": "Shown by", **DATES}  # fmt: skip
    column_formatters = {"picture": cover_thumbnail, "blog": used_by}
    column_searchable_list = ["image_link", "alt_text"]
    column_sortable_list = ["image_link", *DATES]
    column_default_sort = ("created_at", True)
    column_select_related_list = [CoverImage.blog]
    form_columns = ["upload", "alt_text", "image_link"]
    form_extra_fields = {
        "upload": FileField(
            "Picture",
            validators=[process_picture],
            description="JPEG, PNG, WebP or GIF, up to 10 MB; replaces the link. Location and "
            "camera details are removed.",
        )
    }
    form_args = {
        "image_link": {"label": "Or a link", "validators": [Optional(), http_url],
                       "filters": [strip_filter]},
        "alt_text": {"label": "Description (alt text)", "filters": [strip_filter],
                     "validators": [Length(max=ALT_MAX)]},
    }  # fmt: skip

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(CoverImage, **kwargs)

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(CoverImage.media))

    # Uploads here count against the same "upload" budget as the editor's.
    @expose("/new/", methods=("GET", "POST"))
    @throttled("upload")
    def create_view(self) -> Any:
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    @throttled("upload")
    def edit_view(self) -> Any:
        return super().edit_view()

    def create_model(self, form: Form) -> Any:
        with uploads.all_or_nothing() as pending:
            setattr(g, PENDING, pending)
            created = super().create_model(form)
            if not created:  # flask-admin rolled back and reported it: the files go too
                pending.discard()
        return created

    def update_model(self, form: Form, model: Any) -> bool:
        with uploads.all_or_nothing() as pending:
            setattr(g, PENDING, pending)
            updated = bool(super().update_model(form, model))
            if not updated:
                pending.discard()
        return updated

    def prepare_model(self, form: Form, model: Any, is_created: bool) -> None:
        processed = getattr(form, "cover_picture", None)
        if processed is not None:
            model.media = uploads.add_picture(
                g.get(PENDING), processed, alt=model.alt_text or "", uploader_id=current_user.id
            )
            model.image_link = None
        elif model.image_link:
            model.media = None
        if model.media is None and not model.image_link:
            raise RuleError("Upload a picture or give a link.", field="upload")
        if model.media is not None and not model.alt_text:
            raise RuleError("Describe the picture for readers who cannot see it.", field="alt_text")
