"""Where pictures are kept: a directory (``file://``) or an S3-compatible bucket (``s3://``).

Both speak the same five verbs, so nothing above this module knows which one it has.
Files are written whole or not at all (a temporary name, then a rename; S3's PUT is atomic).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Opened:
    """A stored file being read: a binary stream and its length."""

    stream: IO[bytes]
    length: int


class Storage(Protocol):
    """The verbs every storage speaks; names are bare file names (names.py)."""

    def put(self, name: str, data: bytes, content_type: str) -> None: ...
    def open(self, name: str) -> Opened | None: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> None: ...
    def listing(self) -> Iterator[tuple[str, datetime]]: ...
    def describe(self) -> str: ...


class FileStorage:
    """Files in one directory, which nginx can serve as they are."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError("not a stored file's name")
        return self.root / name

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)  # nginx, another user, reads it
            os.replace(temporary, self.path(name))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> Opened | None:
        try:
            stream = self.path(name).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError):
            return None
        return Opened(stream, os.fstat(stream.fileno()).st_size)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def listing(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for entry in os.scandir(self.root):
            if entry.is_file():
                yield entry.name, datetime.fromtimestamp(entry.stat().st_mtime, UTC)

    def describe(self) -> str:
        return f"file://{self.root}"


class S3Storage:
    """Objects in a bucket, under an optional prefix; boto3 reads keys and region from AWS_*."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        import boto3  # only the S3 mode pays for importing it
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5)
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url, config=config)

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.key(name), Body=data, ContentType=content_type,
            CacheControl="public, max-age=31536000, immutable",
        )  # fmt: skip

    def open(self, name: str) -> Opened | None:
        from botocore.exceptions import ClientError

        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return Opened(found["Body"], int(found["ContentLength"]))

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def listing(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if name and "/" not in name:
                    yield name, item["LastModified"]

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def storage_for(url: str, project_root: str, endpoint_url: str | None = None) -> Storage:
    """Return the storage ``BLOGSITE_MEDIA_URL`` names; a relative path is the project's."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        prefix = parts.path.strip("/")
        return S3Storage(parts.netloc, f"{prefix}/" if prefix else "", endpoint_url)
    # file://instance/media puts "instance" in the netloc: read it back as a relative path.
    path = Path(parts.netloc + parts.path) if parts.netloc else Path(parts.path)
    return FileStorage(path if path.is_absolute() else Path(project_root) / path)
