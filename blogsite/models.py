"""Typed SQLAlchemy 2.0 models: users and their sessions, authors, blogs, tags, pictures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import Model
from .normalize import normalize_phone, validate_http_url

STATUS_DRAFT = "draft"
STATUS_PUBLISHED = "published"
TITLE_MAX = 100
USER_AGENT_MAX = 255
ALT_MAX = 300
MAX_ID = 2**31 - 1  # PostgreSQL integer: a bigger id is "not found", not a database error


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def Timestamp(  # noqa: N802 (reads as a type)
    *, index: bool | None = None, onupdate: Callable[[], datetime] | None = None
) -> Mapped[datetime]:
    """A timezone-aware timestamp column defaulting to now."""
    return mapped_column(DateTime(timezone=True), default=utcnow, index=index, onupdate=onupdate)


class TimestampMixin:
    created_at: Mapped[datetime] = Timestamp()
    updated_at: Mapped[datetime] = Timestamp(onupdate=utcnow)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_no: Mapped[str] = mapped_column(String(16), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_superuser: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = Timestamp()
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[Author | None] = relationship(back_populates="user")
    # Deleted with the user by the ORM too: SQLite enforces no foreign keys here, and a
    # reused id must not inherit an old session.
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @validates("phone_no")
    def _normalize_phone(self, key: str, value: str) -> str:
        return normalize_phone(value)

    @validates("email")
    def _normalize_email(self, key: str, value: str | None) -> str | None:
        cleaned = (value or "").strip().lower()
        return cleaned or None

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of ``password``."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(Model):
    """One login on one browser; deleting the row ends it (see ``auth/sessions.py``)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the secret in the signed cookie: a copy of this table opens no session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = Timestamp()
    last_seen_at: Mapped[datetime] = Timestamp()
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")

    user: Mapped[User] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


blog_tags = Table(
    "blog_tags",
    Model.metadata,
    Column("blog_id", ForeignKey("blogs.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # Copies of the blog's status and created_at (kept in step by domain/tag_copies.py): a
    # tag's page is then one index-only range scan, newest first, with no join and no sort.
    Column("status", String(10)),
    Column("created_at", DateTime(timezone=True)),
    Column("publish_at", DateTime(timezone=True)),
    # publish_at last: the "visible now" filter is read from the index, no heap visit.
    Index(
        "ix_blog_tags_tag_status_created_blog_publish",
        "tag_id",
        "status",
        "created_at",
        "blog_id",
        "publish_at",
    ),
)


class Author(Model):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )

    user: Mapped[User | None] = relationship(back_populates="author")
    blogs: Mapped[list[Blog]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )

    def __str__(self) -> str:
        return self.name


class MediaFile(Model):
    """An uploaded picture: its stored original (whose name says its hash and size)."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not unique: the same picture uploaded twice is two rows sharing files (media/names.py).
    name: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    alt_text: Mapped[str] = mapped_column(String(ALT_MAX), default="")
    # The blog it was uploaded for (its editor lists it), and who uploaded it.
    # use_alter: blogs -> cover_images -> media_files -> blogs is a cycle for CREATE TABLE.
    blog_id: Mapped[int | None] = mapped_column(
        ForeignKey("blogs.id", ondelete="SET NULL", use_alter=True), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = Timestamp()

    blog: Mapped[Blog | None] = relationship(back_populates="media_files")

    def __str__(self) -> str:
        return self.name


class CoverImage(TimestampMixin, Model):
    """A blog's cover: an uploaded picture, or (as before uploads) a link to one elsewhere."""

    __tablename__ = "cover_images"
    __table_args__ = (
        CheckConstraint("image_link IS NOT NULL OR media_id IS NOT NULL", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    image_link: Mapped[str | None] = mapped_column(String(500))
    media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_files.id", ondelete="RESTRICT"), index=True
    )
    alt_text: Mapped[str] = mapped_column(String(ALT_MAX), default="")

    blog: Mapped[Blog | None] = relationship(back_populates="cover_image")
    media: Mapped[MediaFile | None] = relationship()

    @validates("image_link")
    def _validate_link(self, key: str, value: str | None) -> str | None:
        return validate_http_url(value) if value else None

    def __str__(self) -> str:
        if self.media is not None:
            return self.media.name
        return self.image_link or ""


class Tag(TimestampMixin, Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)

    blogs: Mapped[list[Blog]] = relationship(secondary=blog_tags, back_populates="tags")

    def __str__(self) -> str:
        return self.name


class Blog(TimestampMixin, Model):
    __tablename__ = "blogs"
    __table_args__ = (
        # Listings order by (created_at, id): with id in the index a page's ids, even behind
        # a deep OFFSET, come from an index-only scan with no sort (blog/queries.py).
        # publish_at closes each one: the "visible now" filter (domain/publishing.py) is
        # checked in the index, so scheduled blogs cost listings no heap visit.
        Index(
            "ix_blogs_status_created_at_id_publish_at", "status", "created_at", "id", "publish_at"
        ),
        Index(
            "ix_blogs_author_status_created_id_publish",
            "author_id",
            "status",
            "created_at",
            "id",
            "publish_at",
        ),
        # An author's latest change in one index descent (the sitemap's author URLs).
        Index(
            "ix_blogs_author_status_updated_publish",
            "author_id",
            "status",
            "updated_at",
            "publish_at",
        ),
        # The next scheduled publication (when cached listings expire): one descent.
        Index("ix_blogs_status_publish_at", "status", "publish_at"),
        CheckConstraint(f"status IN ('{STATUS_DRAFT}', '{STATUS_PUBLISHED}')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=STATUS_PUBLISHED)
    # A published blog with a future publish_at is scheduled: readers see it from then on.
    publish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    cover_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("cover_images.id", ondelete="SET NULL"), unique=True
    )

    author: Mapped[Author] = relationship(back_populates="blogs")
    cover_image: Mapped[CoverImage | None] = relationship(back_populates="blog")
    # Deleting a blog keeps its pictures (another blog may show them) and forgets the link.
    media_files: Mapped[list[MediaFile]] = relationship(back_populates="blog")
    tags: Mapped[list[Tag]] = relationship(
        secondary=blog_tags, back_populates="blogs", order_by=Tag.name
    )

    @property
    def is_published(self) -> bool:
        return self.status == STATUS_PUBLISHED

    @property
    def is_scheduled(self) -> bool:
        """Return whether the blog is published for a time still to come."""
        when = self.publish_at
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # SQLite hands back naive UTC
        return self.is_published and when is not None and when > utcnow()

    def __str__(self) -> str:
        return self.title
