"""Forms for writing blogs: the editor and the delete confirmation."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice is new in WTForms 3.3; types-WTForms 3.2 lacks it
    BooleanField,
    Field,
    FileField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..domain.validators import http_url, newline_filter, plain_text, single_line, strip_filter
from ..extensions import db
from ..forms import LocalTimeField, SiteForm
from ..media import ImageRefused
from ..media.processing import Processed
from ..media.uploads import prepare, read_upload
from ..models import ALT_MAX, STATUS_DRAFT, STATUS_PUBLISHED, TITLE_MAX, Blog

CONTENT_MAX = 100_000  # about 15,000 words; the request limit stops anything far bigger
TAG_NAME_MAX = 50  # Tag.name is String(50)
TAGS_MAX = 10


def parse_tags(raw: str) -> list[str]:
    """Split comma-separated tags: trimmed, de-duplicated ignoring case, first spelling wins."""
    names: dict[str, str] = {}
    for part in raw.split(","):
        name = " ".join(part.split()).lstrip("#").strip()
        if not name:
            continue
        if len(name) > TAG_NAME_MAX:
            raise ValueError(f"A tag is at most {TAG_NAME_MAX} characters: “{name[:20]}…”.")
        names.setdefault(name.casefold(), name)
    if len(names) > TAGS_MAX:
        raise ValueError(f"Use at most {TAGS_MAX} tags.")
    return list(names.values())


class BlogForm(SiteForm):
    title = StringField(
        "Title",
        filters=[strip_filter],
        validators=[
            DataRequired(message="Give your blog a title."),
            Length(max=TITLE_MAX, message=f"A title is at most {TITLE_MAX} characters."),
            single_line,
        ],
    )
    content = TextAreaField(
        "Content",
        id="blog-content",  # the layout's <main> is already id="content"
        filters=[newline_filter],
        validators=[
            DataRequired(message="Write something before you save."),
            Length(max=CONTENT_MAX, message=f"A blog is at most {CONTENT_MAX:,} characters."),
            plain_text,
        ],
        description="Markdown: **bold**, _italic_, [a link](https://example.com), lists, "
        "`code`. HTML is limited to safe tags.",
    )
    tags = StringField(
        "Tags",
        filters=[strip_filter],
        validators=[Length(max=1000), single_line],
        description=f"Separated by commas, for example: travel, japan. At most {TAGS_MAX}.",
    )
    cover_file = FileField(
        "Cover picture (optional)",
        description="JPEG, PNG, WebP or GIF, up to 10 MB; it replaces the current cover. "
        "Location and camera details are removed.",
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"},
    )
    cover_alt = StringField(
        "Cover description",
        filters=[strip_filter],
        validators=[Length(max=ALT_MAX, message=f"At most {ALT_MAX} characters."), single_line],
        description="What the picture shows, for readers who cannot see it (required with an "
        "uploaded cover).",
    )
    cover_image = URLField(
        "Or a cover image link (optional)",
        filters=[strip_filter],
        validators=[Optional(), http_url],
        description="An https:// link to an image shown above the blog.",
    )
    remove_cover = BooleanField("Remove the cover")
    status = RadioField(
        "Status",
        choices=[
            SelectChoice(STATUS_DRAFT, "Draft: only you can see it"),
            SelectChoice(STATUS_PUBLISHED, "Published: everyone can read it"),
        ],
        default=STATUS_DRAFT,  # what the editor offers; a POST must say which it wants
        validators=[InputRequired(message="Choose draft or published.")],
    )
    publish_at = LocalTimeField("Publish at (optional)", validators=[Optional()])
    preview = SubmitField("Preview")

    def __init__(
        self, *args: Any, blog_id: int | None = None, uploaded_cover: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.blog_id = blog_id
        self.uploaded_cover = uploaded_cover
        self.tag_names: list[str] = []
        self.publish_at.description = (
            f"Time in {current_app.config['TIMEZONE']}. A published blog with a time to come "
            "stays hidden from readers until then; empty: at once."
        )
        self.cover_picture: Processed | None = None

    def validate_cover_file(self, field: Field) -> None:
        data = read_upload(field.data)
        if data is None:
            return
        try:
            self.cover_picture = prepare(data)
        except ImageRefused as error:
            raise ValidationError(str(error)) from None

    def validate_cover_alt(self, field: Field) -> None:
        chosen = getattr(self.cover_file.data, "filename", None)
        kept = self.uploaded_cover and not self.remove_cover.data and not self.cover_image.data
        if (chosen or kept) and not field.data and not self.remove_cover.data:
            raise ValidationError("Describe the cover picture for readers who cannot see it.")

    def validate_title(self, field: Field) -> None:
        if field.errors:
            return
        same = select(Blog.id).where(func.lower(Blog.title) == (field.data or "").lower())
        if self.blog_id is not None:
            same = same.where(Blog.id != self.blog_id)
        if db.session.scalar(same.limit(1)) is not None:
            raise ValidationError("A blog with this title already exists; choose another.")

    def validate_tags(self, field: Field) -> None:
        try:
            self.tag_names = parse_tags(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None


class ImageForm(SiteForm):
    """A picture for the body of a blog: the editor lists it with the Markdown to paste."""

    image = FileField(
        "Picture",
        description="JPEG, PNG, WebP or GIF, up to 10 MB. Location and camera details are removed.",
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"},
    )
    alt = StringField(
        "Description",
        filters=[strip_filter],
        validators=[
            DataRequired(message="Describe the picture for readers who cannot see it."),
            Length(max=ALT_MAX, message=f"At most {ALT_MAX} characters."),
            single_line,
        ],
        description="What the picture shows; it becomes the Markdown's alt text.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.picture: Processed | None = None

    def validate_image(self, field: Field) -> None:
        data = read_upload(field.data)
        if data is None:
            raise ValidationError("Choose a picture to upload.")
        try:
            self.picture = prepare(data)
        except ImageRefused as error:
            raise ValidationError(str(error)) from None


class DeleteForm(SiteForm):
    """Nothing to fill in: the form carries the CSRF token of the confirmation."""
