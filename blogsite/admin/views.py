"""Model views for the blog: blogs, authors, tags, cover images, and the audit log."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, FilterLike
from markupsafe import Markup
from sqlalchemy import not_
from sqlalchemy.orm import joinedload, selectinload
from wtforms import Form, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # SelectChoice is new in WTForms 3.3; types-WTForms 3.2 lacks it
from wtforms.validators import Length, Optional

from ..domain import publishing
from ..domain.publishing import STATUS_CHOICES
from ..domain.slugs import tag_slug
from ..domain.validation import RuleError
from ..domain.validators import email_address, email_filter, newline_filter, strip_filter
from ..extensions import db
from ..forms import LocalTimeField
from ..models import STATUS_DRAFT, STATUS_PUBLISHED, Author, Blog, CoverImage, Tag, User, utcnow
from . import audit
from .base import SecuredModelView
from .covers import thumbnail
from .forms import SLUG, AdminForm, IdLoader, parse_id

DATES = {"created_at": "Created", "updated_at": "Updated"}
OBJECT_TYPES = [(m.__name__, m.__name__) for m in (Blog, Author, Tag, CoverImage, User)]


def slug_field(max_length: int, source: str) -> StringField:
    return StringField(
        "Slug",
        validators=[*SLUG, Length(max=max_length)],
        filters=[strip_filter],
        description=f"Part of the address; left empty, it is made from the {source}.",
    )


class TagFilter(BaseSQLAFilter):
    """Blogs carrying the tag of this name (EXISTS, so no blog is listed twice)."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(Blog.tags.any(Tag.name == value))

    def operation(self) -> str:
        return "is"


class ScheduleFilter(BaseSQLAFilter):
    """Blogs readers see now, or published blogs whose time is still to come."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        shown = publishing.visible(utcnow())
        if value == "scheduled":
            return query.filter(Blog.status == STATUS_PUBLISHED, not_(shown))
        return query.filter(shown)

    def operation(self) -> str:
        return "is"


SCHEDULE_CHOICES = [("on_site", "On the site now"), ("scheduled", "Scheduled")]


def cover_not_taken(form: AdminForm, field: Any) -> None:
    """Refuse a cover image that another blog shows (the domain's rule, before populating)."""
    try:
        publishing.check_cover_free(field.data, getattr(form.edited_object, "id", None))
    except RuleError as exc:
        raise ValidationError(str(exc)) from None


def tag_names(view: Any, context: Any, model: Blog, name: str) -> str:
    return ", ".join(tag.name for tag in model.tags)


def cover_link(view: Any, context: Any, model: Blog, name: str) -> Markup | str:
    if model.cover_image is None:
        return ""
    if model.cover_image.media is not None:
        return thumbnail(model.cover_image.media.name, model.cover_image.alt_text)
    link = model.cover_image.image_link or ""
    return Markup('<a href="{}" rel="noopener noreferrer">{}</a>').format(link, link[:60])


def status_label(view: Any, context: Any, model: Blog, name: str) -> str:
    return "scheduled" if model.is_scheduled else model.status


class BlogView(SecuredModelView):
    column_list = ["title", "author", "cover_image", "tags", "status", *DATES, "publish_at"]
    column_labels = {"cover_image": "Cover image", "publish_at": "Publish at (UTC)", **DATES}
    column_formatters = {"tags": tag_names, "cover_image": cover_link, "status": status_label}
    column_searchable_list = ["title", "content"]
    column_filters = [
        FilterLike("author.name", "Author"),
        TagFilter(Blog.id, "Tag"),
        FilterEqual(Blog.status, "Status", options=STATUS_CHOICES),
        ScheduleFilter(Blog.publish_at, "Schedule", options=SCHEDULE_CHOICES),
    ]
    column_sortable_list = ["title", ("author", "author.name"), "status", *DATES, "publish_at"]
    column_default_sort = ("created_at", True)
    # author and cover are joined into the list query; tags come in one IN query.
    column_select_related_list = [Blog.author, Blog.cover_image]

    form_columns = [
        "title", "slug", "author", "status", "publish_at", "tags", "cover_image", "content",
    ]  # fmt: skip
    form_extra_fields = {"slug": slug_field(110, "title")}
    form_overrides = {"status": SelectField, "publish_at": LocalTimeField}
    form_args = {
        "title": {"filters": [strip_filter]},
        "content": {"filters": [newline_filter]},
        "cover_image": {"validators": [cover_not_taken]},
        "status": {"choices": [SelectChoice(value, label) for value, label in STATUS_CHOICES]},
        "publish_at": {
            "label": "Publish at (optional)",
            "validators": [Optional()],
            "description": "In the site's time zone (BLOGSITE_TIMEZONE). A published blog with "
            "a time to come stays hidden from readers until then.",
        },
    }

    def __init__(self, **kwargs: Any) -> None:
        # Searched as you type: a select of every author would not scale to a big site.
        self.form_ajax_refs = {
            "author": IdLoader("author", Author, fields=["name"], order_by="name",
                               placeholder="Type an author's name"),
            "tags": IdLoader("tags", Tag, fields=["name"], order_by="name",
                             placeholder="Type tag names"),
            "cover_image": IdLoader("cover_image", CoverImage, fields=["image_link"],
                                    placeholder="Type part of the image link"),
        }  # fmt: skip
        super().__init__(Blog, **kwargs)

    def get_query(self) -> Any:
        # An uploaded cover's thumbnail needs its file name: joined like the cover itself.
        covers = joinedload(Blog.cover_image).joinedload(CoverImage.media)
        return super().get_query().options(selectinload(Blog.tags), covers)

    @action("publish", "Publish", "Publish the selected blogs?")
    def action_publish(self, ids: list[str]) -> None:
        self.set_status(ids, STATUS_PUBLISHED)

    @action("draft", "Make draft", "Take the selected blogs off the site?")
    def action_draft(self, ids: list[str]) -> None:
        self.set_status(ids, STATUS_DRAFT)

    def set_status(self, ids: list[str], status: str) -> None:
        """Give the selected blogs ``status``, audited, in one transaction."""
        numbers = [number for number in map(parse_id, ids) if number is not None]
        changed = publishing.set_statuses(numbers, status)
        for blog in changed:
            audit.record_change(blog, created=False)
        db.session.commit()
        flash(f"{len(changed)} blog(s) now {status}.", "success")

    def prepare_model(self, form: Form, model: Any, is_created: bool) -> None:
        publishing.set_status(model, model.status)
        publishing.ensure_slug(model)

    def on_model_delete(self, model: Any) -> None:
        cover = publishing.drop_cover(model)  # as on the site: the cover goes with its blog
        if cover is not None:
            audit.record(cover, audit.DELETED)
        super().on_model_delete(model)


class AuthorView(SecuredModelView):
    column_list = ["name", "email"]
    column_searchable_list = ["name", "email"]
    column_sortable_list = ["name", "email"]
    column_default_sort = "name"
    form_columns = ["name", "email", "bio"]
    form_args = {
        "name": {"filters": [strip_filter]},
        "email": {"filters": [email_filter], "validators": [Optional(), email_address]},
        "bio": {"filters": [newline_filter]},
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Author, **kwargs)


class TagView(SecuredModelView):
    column_list = ["name", "slug", *DATES]
    column_labels = DATES
    column_searchable_list = ["name"]
    column_sortable_list = ["name", "slug", *DATES]
    column_default_sort = "name"
    form_columns = ["name", "slug"]
    form_extra_fields = {"slug": slug_field(60, "name")}
    form_args = {"name": {"filters": [strip_filter]}}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Tag, **kwargs)

    def prepare_model(self, form: Form, model: Any, is_created: bool) -> None:
        if not model.slug:
            model.slug = tag_slug(model.name, own_id=model.id)


class AuditView(SecuredModelView):
    """The audit log: read-only for everyone, superusers included."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = [
        "action_time", "actor", "action", "object_type", "object_id", "object_repr",
        "changed_fields",
    ]  # fmt: skip
    column_labels = {"action_time": "When", "object_repr": "Object", "changed_fields": "Fields"}
    column_formatters = {"changed_fields": lambda v, c, m, n: ", ".join(m.changed_fields or [])}
    column_filters = [
        FilterEqual(audit.AuditEntry.action, "Action", options=[(a, a) for a in audit.ACTIONS]),
        FilterEqual(audit.AuditEntry.object_type, "Object type", options=OBJECT_TYPES),
        FilterLike(audit.AuditEntry.actor, "Actor"),
    ]
    column_searchable_list = ["object_repr", "actor"]
    column_sortable_list = ["action_time"]
    column_default_sort = ("id", True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(audit.AuditEntry, **kwargs)
