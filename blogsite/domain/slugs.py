"""One slug rule for blogs and tags, whoever writes them: the editor, the console, the CLI.

The editor's algorithm won over the console's old one: same ``slugify``, but the base is
cut at 110 characters for blogs and 50 for tags (room for a ``-NNNN`` suffix in the
columns), a tag that slugs to nothing is ``tag`` (not ``post``), the fixed paths under
``/blog/`` are never taken, and one query finds every taken variant. Slugs are stored and
never recomputed, so only new slugs follow it; existing links stay as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Blog, Tag

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
BLOG_SLUG_MAX = 110  # Blog.slug is String(120): room for a "-NNNN" suffix
TAG_SLUG_MAX = 50  # Tag.slug is String(60), Tag.name String(50)
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MESSAGE = "Use lowercase letters, digits and single dashes."


def slugify(text: str, max_length: int = BLOG_SLUG_MAX, fallback: str = "post") -> str:
    """Turn a title into a lowercase ASCII slug; ``fallback`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback


def reserved_blog_slugs() -> set[str]:
    """Return the fixed paths under /blog/ that a blog's slug must not shadow."""
    names = {"new"}
    for rule in current_app.url_map.iter_rules():
        parts = rule.rule.split("/")
        if len(parts) > 2 and parts[1] == "blog" and parts[2] and "<" not in parts[2]:
            names.add(parts[2])
    return names


def unique_slug(model: Any, base: str, taken: Iterable[str] = (), own_id: int | None = None) -> str:
    """Return ``base``, or ``base-2``, ``base-3``... whichever no other row of ``model`` has."""
    # slugify yields only [a-z0-9-], so the LIKE pattern needs no escaping.
    stmt = select(model.slug).where(or_(model.slug == base, model.slug.like(f"{base}-%")))
    if own_id is not None:  # re-slugging a row: its own old slug is free
        stmt = stmt.where(model.id != own_id)
    used = set(taken) | set(db.session.scalars(stmt))
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def blog_slug(title: str, own_id: int | None = None) -> str:
    """Return a free slug for a blog titled ``title``, never a fixed path under /blog/."""
    return unique_slug(Blog, slugify(title, BLOG_SLUG_MAX), reserved_blog_slugs(), own_id)


def tag_slug(name: str, taken: Iterable[str] = (), own_id: int | None = None) -> str:
    """Return a free slug for a tag named ``name`` (``taken``: slugs claimed, not yet saved)."""
    return unique_slug(Tag, slugify(name, TAG_SLUG_MAX, fallback="tag"), taken, own_id)
