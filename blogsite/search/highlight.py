"""Highlighted snippets made safe: escape everything, then turn only our markers into <mark>."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Private-use characters: the databases wrap each match in them. The text they come from
# has them removed first (PostgreSQL), and an unpaired one left over is dropped here, so a
# blog holding them can at worst move a highlight, never open an element.
OPEN, CLOSE = "\ue000", "\ue001"
MARKERS = OPEN + CLOSE
_PAIR = re.compile(f"{OPEN}([^{MARKERS}]*){CLOSE}")


def highlighted(text: str) -> Markup:
    """Return ``text`` escaped, with each marked match in <mark> and nothing else as HTML."""
    marked = _PAIR.sub(r"<mark>\1</mark>", str(escape(text)))
    return Markup(marked.replace(OPEN, "").replace(CLOSE, ""))  # escaped above
