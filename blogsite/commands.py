"""Operator commands: ``flask seed`` and ``flask create-superuser``."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import String, cast, insert, literal, select

from .domain.authors import create_user, email_taken, phone_taken
from .domain.slugs import blog_slug, slugify, tag_slug
from .domain.validation import (
    EMAIL_TAKEN,
    RuleError,
    check_email,
    normalize_email,
    normalize_phone,
)
from .extensions import Model, db
from .media.drawing import demo_picture
from .media.uploads import PendingFiles, all_or_nothing
from .models import Author, Blog, CoverImage, Tag, blog_tags, utcnow
from .passwords import password_problems

BULK_PICTURES = 4  # bulk blogs share a handful of drawn covers...
BULK_COVER_EVERY = 10  # ... on every tenth blog (a cover row each: a cover has one blog)
DEMO_CONTENT = "This is the **content** of a demo blog.\n\n- one\n- two\n"
BULK_TOPICS = 10
BULK_CHUNK = 5_000

M = TypeVar("M", bound=Model)


def _get_or_add(model: type[M], lookup: dict[str, object], **values: object) -> M:
    """Return the row matching ``lookup``, adding it with ``values`` if missing."""
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
    return row


def _demo_tag(name: str) -> Tag:
    """Return the demo tag ``name``, adding it with its slug if missing."""
    tag = db.session.scalar(select(Tag).filter_by(name=name))
    if tag is None:
        tag = Tag(name=name, slug=tag_slug(name))
        db.session.add(tag)
    return tag


def _demo_blog(
    title: str, author: Author, tags: list[Tag], pending: PendingFiles, picture: int
) -> None:
    """Add the demo blog ``title``, with a drawn cover, unless a blog already has its slug."""
    if db.session.scalar(select(Blog.id).where(Blog.slug == slugify(title))) is None:
        media = demo_picture(pending, picture)
        cover = CoverImage(media=media, alt_text=media.alt_text)
        db.session.add(
            Blog(title=title, slug=blog_slug(title), content=DEMO_CONTENT, author=author,
                 tags=tags, cover_image=cover)
        )  # fmt: skip


def seed_demo() -> None:
    """Add the original's demo data; running it again changes nothing."""
    test = _get_or_add(Author, {"name": "test"}, email="test@example.com", bio="The first author.")
    test2 = _get_or_add(Author, {"name": "test2"}, email="test2@example.com", bio="The second.")
    tags = [_demo_tag(name) for name in ("tag1", "tag2")]
    db.session.flush()  # the slug look-ups below must see the tags
    with all_or_nothing() as pending:  # drawn covers are stored, or deleted if this fails
        _demo_blog("first blog title", test, tags, pending, 0)
        _demo_blog("next blog title", test2, tags, pending, 1)
        db.session.flush()
        latest = db.session.scalar(select(Blog).order_by(Blog.created_at.desc(), Blog.id.desc()))
        if latest is not None and latest.title == "next blog title":
            latest.title = "updated blog title"  # the original's update step; the slug stays
        db.session.commit()


def bulk_covers(count: int) -> list[int]:
    """Add ``count`` cover rows sharing a handful of drawn pictures; return their ids."""
    if count == 0:
        return []
    with all_or_nothing() as pending:
        pictures = [demo_picture(pending, n) for n in range(BULK_PICTURES)]
        db.session.flush()  # their ids; committed with the blogs (a failure leaves files to prune)
    shared = [{"media_id": media.id, "alt_text": media.alt_text} for media in pictures]
    rows = [shared[n % BULK_PICTURES] for n in range(count)]
    statement = insert(CoverImage).returning(CoverImage.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows))


def seed_bulk(authors: int, blogs_per_author: int) -> int:
    """Insert ``authors`` new authors with ``blogs_per_author`` blogs each; return blogs."""
    for n in range(BULK_TOPICS):
        _get_or_add(Tag, {"name": f"topic-{n}"}, slug=slugify(f"topic-{n}"))
    start = db.session.scalar(select(db.func.max(Author.id))) or 0
    author_rows = [
        {"name": f"Author {start + n}", "email": f"author{start + n}@bulk.example",
         "bio": "A bulk demo author."}
        for n in range(1, authors + 1)
    ]  # fmt: skip
    db.session.execute(insert(Author), author_rows)
    author_ids = db.session.scalars(
        select(Author.id).where(Author.email.like("%@bulk.example"), Author.id > start)
    ).all()
    now = utcnow()
    total = len(author_ids) * blogs_per_author
    covers = bulk_covers(-(-total // BULK_COVER_EVERY))
    rows = (
        # Titles unique by construction, so their slugs are too: no look-up per row.
        {"title": f"Bulk blog {author_id}-{i}", "slug": slugify(f"Bulk blog {author_id}-{i}"),
         "content": DEMO_CONTENT, "status": "published", "author_id": author_id,
         "created_at": now - timedelta(seconds=n), "updated_at": now,
         "cover_image_id": None if n % BULK_COVER_EVERY else covers[n // BULK_COVER_EVERY]}
        for n, (author_id, i) in enumerate(
            (a, i) for a in author_ids for i in range(1, blogs_per_author + 1)
        )
    )  # fmt: skip
    with click.progressbar(length=total, label="Inserting blogs") as bar:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == BULK_CHUNK:
                db.session.execute(insert(Blog), chunk)
                bar.update(len(chunk))
                chunk = []
        if chunk:
            db.session.execute(insert(Blog), chunk)
            bar.update(len(chunk))
    # One statement tags every new blog with a topic chosen by its id.
    topic_slug = literal("topic-") + cast(Blog.id % BULK_TOPICS, String)
    db.session.execute(
        insert(blog_tags).from_select(
            ["blog_id", "tag_id", "status", "created_at", "publish_at"],
            select(Blog.id, Tag.id, Blog.status, Blog.created_at, Blog.publish_at)
            .join(Tag, Tag.slug == topic_slug)
            .where(Blog.author_id > start),
        )
    )
    db.session.commit()
    return total


@click.command("seed")
@click.option("--authors", type=click.IntRange(0, 100_000), default=0, help="Bulk authors to add.")
@click.option(
    "--blogs-per-author", type=click.IntRange(0, 100_000), default=0, help="Blogs per bulk author."
)
@with_appcontext
def seed_command(authors: int, blogs_per_author: int) -> None:
    """Add the demo data (safe to run twice), and optionally bulk authors and blogs."""
    seed_demo()
    click.echo("Demo data ready: authors test and test2, tag1, tag2, two blogs.")
    if authors:
        started = time.perf_counter()
        count = seed_bulk(authors, blogs_per_author)
        elapsed = time.perf_counter() - started
        click.echo(f"Added {authors} authors and {count} blogs in {elapsed:.1f} s.")


def _superuser_from_env() -> tuple[str, str, str]:
    names = ("PHONE_NO", "PASSWORD", "EMAIL")
    values = {name: os.environ.get(f"BLOGSITE_SUPERUSER_{name}", "").strip() for name in names}
    missing = [f"BLOGSITE_SUPERUSER_{name}" for name, value in values.items() if not value]
    if missing:
        raise click.ClickException(f"Set {', '.join(missing)} to use --noinput.")
    return values["PHONE_NO"], values["PASSWORD"], values["EMAIL"]


@click.command("create-superuser")
@click.option("--noinput", is_flag=True, help="Read BLOGSITE_SUPERUSER_* instead of asking.")
@click.option("--skip-existing", is_flag=True, help="Exit quietly if the phone number exists.")
@with_appcontext
def create_superuser_command(noinput: bool, skip_existing: bool) -> None:
    """Create a superuser (staff, all permissions) who logs in with a phone number."""
    if noinput:
        raw_phone, password, email = _superuser_from_env()
    else:
        raw_phone = click.prompt("Phone number")
        email = click.prompt("E-mail", default="", show_default=False)
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        phone = normalize_phone(raw_phone)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if phone_taken(phone):
        if skip_existing:
            click.echo(f"A user with phone number {phone} exists; nothing to do.")
            return
        raise click.ClickException(f"A user with phone number {phone} already exists.")
    email = normalize_email(email) or ""
    try:
        if email:
            check_email(email)
    except RuleError as error:
        raise click.ClickException(str(error)) from None
    if email_taken(email):
        raise click.ClickException(EMAIL_TAKEN)
    problems = password_problems(password, phone_no=phone, name="admin", email=email)
    if problems:
        raise click.ClickException(" ".join(problems))
    create_user(phone, password, name="admin", email=email or None, is_superuser=True)
    db.session.commit()
    click.echo(f"Superuser {phone} created.")


def register_commands(app: Flask) -> None:
    """Add the operator commands to ``flask``."""
    app.cli.add_command(seed_command)
    app.cli.add_command(create_superuser_command)
