"""Settings of pictures: where uploads are stored, how big they may be, which sizes are made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import parsers as p
from .spec import setting


def media_url(value: Any, env: str) -> str:
    """Return a ``file://path`` or ``s3://bucket[/prefix]`` storage URL."""
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme == "file" and (parts.netloc or parts.path):
        return text
    if parts.scheme == "s3" and parts.netloc:
        return text
    raise p.ConfigError(
        f"{env} must be file://path (relative to the project, or file:///absolute) or "
        f"s3://bucket[/prefix]; got {value!r}"
    )


def widths(value: Any, env: str) -> tuple[int, ...]:
    """Return distinct widths in pixels, ascending, from "480,960,1600" or a sequence."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        found = sorted({int(str(item).strip()) for item in items if str(item).strip()})
    except ValueError:
        found = []
    if not found or found[0] < 16 or found[-1] > 4096:
        raise p.ConfigError(f"{env} must be widths from 16 to 4096, comma-separated; got {value!r}")
    return tuple(found)


@dataclass(frozen=True)
class Media:
    """Uploaded pictures: storage, limits, sizes."""

    MEDIA_URL: str = setting(
        "file://instance/media",
        "Where uploaded pictures are stored: file://path (one machine; nginx serves it) or "
        "s3://bucket[/prefix] (keys and region from the AWS_* variables).",
        parse=media_url,
    )
    S3_ENDPOINT_URL: str | None = setting(
        None,
        "Endpoint of an S3-compatible store (SeaweedFS, MinIO); unset: Amazon S3.",
        parse=p.optional(p.http_url),
        example="http://seaweedfs:8333",
    )
    MEDIA_PUBLIC_URL: str | None = setting(
        None,
        "Address that serves the stored files (a CDN or the bucket); /media/ then redirects there"
        " and pages link to it.",
        parse=p.optional(p.http_url),
        example="https://cdn.example.com/media",
    )
    MEDIA_MAX_BYTES: int = setting(
        10 * 1024 * 1024,
        "Largest picture upload in bytes (a request beyond it gets the 413 page).",
        parse=p.whole(1024),
    )
    MEDIA_MAX_PIXELS: int = setting(
        40_000_000, "Most pixels in an uploaded picture (width times height).", parse=p.whole(1)
    )
    MEDIA_WIDTHS: tuple[int, ...] = setting(
        (480, 960, 1600),
        "Widths of the WebP copies made of every picture (never wider than the original); run "
        "`flask media regenerate` after a change.",
        parse=widths,
        shown="480,960,1600",
        example="480,960,1600",
    )
