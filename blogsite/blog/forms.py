"""Forms for writing blogs: the editor and the delete confirmation."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice is new in WTForms 3.3; types-WTForms 3.2 lacks it
    Field,
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
from ..models import STATUS_DRAFT, STATUS_PUBLISHED, TITLE_MAX, Blog

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
    cover_image = URLField(
        "Cover image link (optional)",
        filters=[strip_filter],
        validators=[Optional(), http_url],
        description="An https:// link to an image shown above the blog.",
    )
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

    def __init__(self, *args: Any, blog_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blog_id = blog_id
        self.tag_names: list[str] = []
        self.publish_at.description = (
            f"Time in {current_app.config['TIMEZONE']}. A published blog with a time to come "
            "stays hidden from readers until then; empty: at once."
        )

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


class DeleteForm(SiteForm):
    """Nothing to fill in: the form carries the CSRF token of the confirmation."""
