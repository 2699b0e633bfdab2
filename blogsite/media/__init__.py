"""Pictures: processing with Pillow (processing.py), storage on disk or S3 (storage.py),
names that say a picture's hash and size (names.py), the all-or-nothing upload
(uploads.py), ``<img srcset>`` markup (html.py), ``/media/`` (serving.py), ``flask media``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from flask import Flask, current_app, request, url_for

from .names import Picture, parse_original
from .processing import ImageRefused
from .storage import Storage, storage_for

EXTENSION = "media"

__all__ = [
    "ImageRefused",
    "Picture",
    "accept_uploads",
    "allow_upload_size",
    "current_storage",
    "init_app",
    "media_url",
    "parse_original",
]


@dataclass
class MediaState:
    storage: Storage
    upload_endpoints: set[str] = field(default_factory=set)


def state(app: Flask | None = None) -> MediaState:
    found: MediaState = (app or current_app).extensions[EXTENSION]
    return found


def current_storage() -> Storage:
    """Return this app's storage."""
    return state().storage


def media_url(name: str) -> str:
    """Return the address of a stored file: the public URL's when set, else /media/."""
    public = current_app.config.get("MEDIA_PUBLIC_URL")
    if public:
        return f"{public.rstrip('/')}/{name}"
    return url_for("media_file", name=name)


def accept_uploads(app: Flask, *endpoints: str) -> None:
    """Let these endpoints take bodies as big as a picture plus the form around it."""
    state(app).upload_endpoints.update(endpoints)


def allow_upload_size() -> None:
    """Raise the body limit for upload endpoints (before_request, before the guard reads it)."""
    if request.endpoint in state().upload_endpoints:
        config = current_app.config
        request.max_content_length = config["MEDIA_MAX_BYTES"] + (
            config["MAX_CONTENT_LENGTH"] or 1024 * 1024
        )


def init_app(app: Flask) -> None:
    """Open the storage, serve /media/, add ``flask media``."""
    from .cli import media_cli
    from .html import cover_picture, stored_picture
    from .serving import serve

    root = os.path.dirname(app.instance_path)
    storage = storage_for(app.config["MEDIA_URL"], root, app.config["S3_ENDPOINT_URL"])
    app.extensions[EXTENSION] = MediaState(storage)
    app.add_url_rule("/media/<path:name>", "media_file", serve, methods=["GET"])
    app.jinja_env.globals["cover_picture"] = cover_picture
    app.jinja_env.globals["stored_picture"] = stored_picture
    app.jinja_env.globals["media_url"] = media_url
    app.cli.add_command(media_cli)
