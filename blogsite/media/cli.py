"""``flask media prune`` and ``flask media regenerate``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select

from ..extensions import db
from ..logs import log_event
from ..models import Blog, CoverImage, MediaFile, utcnow
from . import current_storage
from .names import ORIGINAL, parse_original
from .processing import variants_of

media_cli = AppGroup("media", help="Uploaded pictures: prune unused files, rebuild copies.")
IN_CONTENT = re.compile(r"/media/(" + ORIGINAL.pattern + ")")
GRACE = timedelta(days=1)  # an upload may wait a day for the blog that will show it


def referenced_names() -> set[str]:
    """Return the pictures a cover shows or a blog's text links to."""
    names = set(
        db.session.scalars(
            select(MediaFile.name).join(CoverImage, CoverImage.media_id == MediaFile.id)
        )
    )
    texts = select(Blog.content).where(Blog.content.contains("/media/"))
    for content in db.session.scalars(texts.execution_options(yield_per=1000)):
        names.update(match[1] for match in IN_CONTENT.finditer(content))
    return names


@media_cli.command("prune")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.option(
    "--min-age", type=click.FloatRange(0), default=GRACE.total_seconds() / 3600,
    show_default=True, help="Keep anything younger than this many hours.",
)  # fmt: skip
def prune_command(dry_run: bool, min_age: float) -> None:
    """Delete uploads and stored files that no blog or cover uses, older than a day."""
    cutoff = utcnow() - timedelta(hours=min_age)
    used = referenced_names()
    stale_rows = [
        (media_id, name)
        for media_id, name, created in db.session.execute(
            select(MediaFile.id, MediaFile.name, MediaFile.created_at)
        )
        if name not in used and _aware(created) < cutoff
    ]
    stale_ids = {media_id for media_id, _ in stale_rows}
    kept_rows = db.session.scalars(select(MediaFile.name).where(MediaFile.id.not_in(stale_ids)))
    widths = current_app.config["MEDIA_WIDTHS"]
    keep: set[str] = set()
    for name in set(kept_rows):
        picture = parse_original(name)
        keep.update(picture.files(widths) if picture else [name])
    storage = current_storage()
    listing = storage.listing()
    doomed = [name for name, modified in listing if name not in keep and modified <= cutoff]
    verb = "Would delete" if dry_run else "Deleted"
    for name in doomed:
        click.echo(f"{verb} {name}")
        if not dry_run:
            storage.delete(name)
    if not dry_run and stale_ids:
        db.session.execute(delete(MediaFile).where(MediaFile.id.in_(stale_ids)))
        db.session.commit()
    if not dry_run:
        log_event("media.pruned", {"files": len(doomed), "uploads": len(stale_ids)})
    click.echo(f"{verb} {len(doomed)} files and {len(stale_ids)} unused uploads.")


@media_cli.command("regenerate")
def regenerate_command() -> None:
    """Rebuild the WebP copies of every upload (after BLOGSITE_MEDIA_WIDTHS changed)."""
    names = sorted(set(db.session.scalars(select(MediaFile.name))))
    storage, widths = current_storage(), current_app.config["MEDIA_WIDTHS"]
    missing = 0
    with click.progressbar(names, label="Rebuilding copies") as bar:
        for name in bar:
            picture, opened = parse_original(name), storage.open(name)
            if picture is None or opened is None:
                missing += 1
                continue
            with opened.stream as stream:
                data = stream.read()
            for rendition in variants_of(data, picture, widths):
                storage.put(rendition.name, rendition.data, rendition.content_type)
    log_event("media.regenerated", {"pictures": len(names) - missing, "missing": missing})
    click.echo(f"Rebuilt the copies of {len(names) - missing} pictures; {missing} missing.")


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
