"""File names of stored pictures: a content hash, the size, and the kind of file.

An original is ``<hash>-<width>x<height>.<ext>`` and its WebP copies ``<hash>-<width>.webp``,
where the hash is that of the re-encoded original: a name never changes meaning, and a
page can write ``srcset``, ``width`` and ``height`` from the name alone, with no query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SIZE = r"(?P<w>[1-9][0-9]{0,4})x(?P<h>[1-9][0-9]{0,4})"
ORIGINAL = re.compile(r"(?P<digest>[0-9a-f]{32})-" + SIZE + r"\.(?P<ext>jpg|png|webp)")
VARIANT = re.compile(r"(?P<digest>[0-9a-f]{32})-(?P<w>[1-9][0-9]{0,4})\.webp")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def variant_widths(width: int, widths: Iterable[int]) -> list[int]:
    """Return the widths of the copies of a ``width``-wide picture: never wider than it."""
    return sorted({min(size, width) for size in widths})


@dataclass(frozen=True)
class Picture:
    """A stored original, as its name describes it."""

    name: str
    digest: str
    width: int
    height: int

    def height_at(self, width: int) -> int:
        """Return the height of a copy ``width`` pixels wide."""
        return max(1, round(self.height * width / self.width))

    def variants(self, widths: Iterable[int]) -> list[tuple[str, int, int]]:
        """Return the name, width and height of each WebP copy."""
        return [
            (f"{self.digest}-{w}.webp", w, self.height_at(w))
            for w in variant_widths(self.width, widths)
        ]

    def files(self, widths: Iterable[int]) -> list[str]:
        """Return every stored file of this picture: the original, then its copies."""
        return [self.name, *(name for name, _, _ in self.variants(widths))]


def parse_original(name: str) -> Picture | None:
    """Return the picture ``name`` names, or None if it is not an original's name."""
    match = ORIGINAL.fullmatch(name or "")
    if match is None:
        return None
    return Picture(name, match["digest"], int(match["w"]), int(match["h"]))


def content_type(name: str) -> str | None:
    """Return the Content-Type of a stored file's name; None for a name we never store."""
    match = ORIGINAL.fullmatch(name) or VARIANT.fullmatch(name)
    if match is None:
        return None
    return CONTENT_TYPES[match.groupdict().get("ext") or "webp"]


def digest_of(name: str) -> str | None:
    """Return the content hash in a stored file's name."""
    match = ORIGINAL.fullmatch(name) or VARIANT.fullmatch(name)
    return match["digest"] if match else None
