"""An upload is a write like any other: all or nothing, logged, and the cache follows.

The picture is processed first (a refusal touches nothing), its files are stored next, and
the row is committed last; if anything fails after the files were stored, the files this
upload added are deleted again. The row goes through the session, so the cache's session
events invalidate whatever shows it (a cover) on commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..logs import log_event
from ..models import Blog, MediaFile
from . import current_storage
from .processing import ImageRefused, Processed, process
from .storage import Storage


class PendingFiles:
    """Files written during one write; deleted again unless the write commits."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.written: list[str] = []

    def store(self, processed: Processed) -> None:
        """Store every file of ``processed`` that is not stored already."""
        for rendition in processed.files:
            if not self.storage.exists(rendition.name):  # the same picture uploaded before
                self.storage.put(rendition.name, rendition.data, rendition.content_type)
                self.written.append(rendition.name)

    def discard(self) -> None:
        """Delete the files this write added."""
        for name in self.written:
            try:
                self.storage.delete(name)
            except Exception as error:  # prune finds it later; the first error matters more
                log_event("media.discard_failed", {"error": type(error).__name__}, level="ERROR")
        self.written.clear()


@contextmanager
def all_or_nothing() -> Iterator[PendingFiles]:
    """Yield a place to store files; delete them again if the block raises (commit inside)."""
    pending = PendingFiles(current_storage())
    try:
        yield pending
    except BaseException:
        pending.discard()
        raise


def read_upload(upload: FileStorage | None) -> bytes | None:
    """Return the bytes of an uploaded file, or None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    limit = current_app.config["MEDIA_MAX_BYTES"]
    return upload.stream.read(limit + 1)  # one byte more says "too big"


def prepare(data: bytes) -> Processed:
    """Process an upload, or raise ImageRefused; logs the outcome, never the file's name."""
    config = current_app.config
    started = time.perf_counter()
    try:
        processed = process(
            data, config["MEDIA_MAX_BYTES"], config["MEDIA_MAX_PIXELS"], config["MEDIA_WIDTHS"]
        )
    except ImageRefused as error:
        log_event("media.refused", {"bytes": len(data), "reason": str(error)})
        raise
    log_event(
        "media.processed",
        {"bytes": len(data), "width": processed.original.width,
         "height": processed.original.height, "files": len(processed.files),
         "ms": round((time.perf_counter() - started) * 1000)},
    )  # fmt: skip
    return processed


def add_picture(
    pending: PendingFiles,
    processed: Processed,
    *,
    alt: str = "",
    blog: Blog | None = None,
    uploader_id: int | None = None,
) -> MediaFile:
    """Store the files of ``processed`` and add its row to the session (not committed)."""
    pending.store(processed)
    original = processed.original
    media = MediaFile(
        name=original.name, width=original.width, height=original.height,
        size_bytes=len(original.data), alt_text=alt, blog=blog, uploader_id=uploader_id,
    )  # fmt: skip
    db.session.add(media)
    return media
