"""Code highlighting on the server: Pygments turns a fenced block into spans with classes.

The CSP allows no inline style, so the colours live in ``static/css/highlight.css``, which
``python -m blogsite.highlight`` writes (light and dark, every colour at least 4.5:1 on
its background). The sanitizer (``markup.py``) keeps only the classes listed here.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.style import Style
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token
from pygments.util import ClassNotFound

from .contrast import AA_TEXT, contrast, readable

PREFIX = "hl-"  # never a class of the site's own CSS, so a token cannot restyle the page
MAX_CODE = 20_000  # ~500 lines, ~50 ms; a bigger block is shown plain, not holding a worker
CODE_BG = {"light": "#f4f5f7", "dark": "#1b1f24"}  # .content pre in site.css, both schemes
STYLES = {"light": "default", "dark": "github-dark"}
STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "highlight.css"

_formatter = HtmlFormatter(nowrap=True, classprefix=PREFIX)


@functools.cache
def token_classes() -> frozenset[str]:
    """Return every class a highlighted span may carry."""
    return frozenset(PREFIX + name for name in STANDARD_TYPES.values() if name)


@functools.cache
def language_classes() -> frozenset[str]:
    """Return ``language-<alias>`` for every language Pygments knows (the ``code`` classes)."""
    names = (alias for _, aliases, _, _ in get_all_lexers() for alias in aliases)
    return frozenset(f"language-{name}" for name in names)


def highlight(code: str, lang: str, attrs: str) -> str:
    """Return ``code`` as highlighted spans, or "" (markdown-it then escapes it plainly)."""
    name = lang.strip().lower()
    if not name or len(code) > MAX_CODE:
        return ""
    lexer = _lexer_class(name[:40])
    if lexer is None:
        return ""  # an unknown language: shown as plain, escaped text
    # Pygments escapes the text of every token; markdown-it wraps the result in pre/code.
    return pygments_highlight(code, lexer(), _formatter)


@functools.lru_cache(maxsize=256)
def _lexer_class(name: str) -> type[Lexer] | None:
    """Return the lexer class of a language name, or None (a lookup scans plugins: ~10 ms)."""
    try:
        return type(get_lexer_by_name(name))
    except ClassNotFound:
        return None


def _rules(style: type[Style], background: str) -> list[str]:
    """Return one CSS rule per token class, each colour made readable on ``background``."""
    rules = []
    for ttype, name in sorted(STANDARD_TYPES.items(), key=lambda item: item[1]):
        if not name or ttype not in style.styles:
            continue
        found = style.style_for_token(ttype)
        parts = []
        if found["color"]:
            parts.append(f"color: {readable('#' + found['color'], background)}")
        if found["bold"]:
            parts.append("font-weight: bold")
        if found["italic"]:
            parts.append("font-style: italic")
        if parts and ttype is not Token:
            rules.append(f".content .{PREFIX}{name} {{ {'; '.join(parts)}; }}")
    return rules


def stylesheet() -> str:
    """Return the highlighting stylesheet: the light theme, then the dark one in a media query."""
    light = _rules(get_style_by_name(STYLES["light"]), CODE_BG["light"])
    dark = _rules(get_style_by_name(STYLES["dark"]), CODE_BG["dark"])
    lines = [
        "/* Written by `python -m blogsite.highlight`: Pygments' "
        f"{STYLES['light']} and {STYLES['dark']} styles,",
        f"   each colour adjusted to at least {AA_TEXT}:1 on the code background. */",
        *light,
        "@media (prefers-color-scheme: dark) {",
        *("  " + rule for rule in dark),
        "}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Write static/css/highlight.css (``--check``: fail if it differs)."""
    text = stylesheet()
    if "--check" in sys.argv[1:]:
        if STYLESHEET.read_text(encoding="utf-8") != text:
            sys.exit(f"{STYLESHEET} is out of date: run python -m blogsite.highlight")
        return
    STYLESHEET.write_text(text, encoding="utf-8")
    print(f"wrote {STYLESHEET} (lowest contrast {lowest_contrast(text):.2f}:1)")


def lowest_contrast(text: str) -> float:
    """Return the lowest contrast of any colour in ``text`` against its scheme's background."""
    light, _, dark = text.partition("@media")
    ratios = [
        contrast(colour, CODE_BG[scheme])
        for scheme, part in (("light", light), ("dark", dark))
        for colour in _colours(part)
    ]
    return min(ratios)


def _colours(text: str) -> list[str]:
    return [chunk.split(";")[0].strip() for chunk in text.split("color: ")[1:]]


if __name__ == "__main__":
    main()
