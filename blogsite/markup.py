"""Markdown to sanitized HTML: markdown-it-py renders, nh3 keeps only safe markup."""

from __future__ import annotations

import functools
import html
import re
import threading

import nh3
from cachetools import LRUCache
from markdown_it import MarkdownIt
from markupsafe import Markup

from .highlight import highlight, language_classes, token_classes
from .media.html import responsive_images

# CommonMark with tables and strikethrough; raw HTML is allowed through the parser
# because nh3 (an allow-list sanitizer) decides what survives, not the parser. Fenced
# code with a language is highlighted by Pygments (spans with classes, no style).
_markdown = MarkdownIt("commonmark", {"html": True, "highlight": highlight}).enable(
    ["table", "strikethrough"]
)
# Excerpts are plain text: no highlighting, whose spans would split code into words.
_plain = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong",
    "span", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
# Only these classes survive (nh3 drops any other): a writer's own <span class="...">
# can at most colour text like code does, never borrow the page's classes.
ALLOWED_CLASSES = {"span": set(token_classes()), "code": set(language_classes())}
_TAGS = re.compile(r"<[^>]*>")


def render_markdown(text: str) -> Markup:
    """Render Markdown ``text`` to HTML that is safe to put in a page."""
    # After the sanitizer: only a site picture's <img>, rebuilt from its checked name, gains
    # srcset, sizes, width and height (media/html.py); any other <img> stays as nh3 left it.
    return Markup(responsive_images(_rendered(text or "")))


# A blog page shows its whole text: with caching off, or on every miss, the same text was
# rendered and sanitized again (most of a cold blog page's own work). Recent results are
# remembered per process by the text itself, bounded by the size of both; responsive_images
# stays outside: it reads the app's settings.
RENDERED_BYTES = 4 * 1024 * 1024
_RENDERED: LRUCache[str, tuple[str, int]] = LRUCache(RENDERED_BYTES, getsizeof=lambda v: v[1])
_RENDERED_LOCK = threading.Lock()


def _rendered(text: str) -> str:
    """Return ``text`` rendered and sanitized (a pure function of the text: remembered)."""
    with _RENDERED_LOCK:
        found = _RENDERED.get(text)
    if found is not None:
        return found[0]
    rendered = str(sanitize(_markdown.render(text)))
    size = len(text) + len(rendered)
    if size <= RENDERED_BYTES // 8:  # one huge blog must not evict the rest
        with _RENDERED_LOCK:
            _RENDERED[text] = (rendered, size)
    return rendered


# Built once: nh3.clean() converts its allow-lists on every call, and the ~900 language
# classes made that 660 us a blog instead of 24 us (measured here).
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow noopener noreferrer",
)


def sanitize(markup: str) -> Markup:
    """Return ``markup`` with only the allowed tags, attributes, classes and URL schemes."""
    return Markup(_cleaner.clean(markup))


EXCERPT_SOURCE_CHARS = 2_000  # ample Markdown for 200 characters of text


def excerpt(text: str, length: int = 200) -> str:
    """Return the first ``length`` characters of the rendered text, without markup."""
    # Listing pages show ten excerpts each: render only the head of the Markdown, and
    # remember recent results (bounded: at most 4,096 heads of 2,000 characters).
    return _excerpt((text or "")[:EXCERPT_SOURCE_CHARS], length)


@functools.lru_cache(maxsize=4096)
def _excerpt(head: str, length: int) -> str:
    plain = html.unescape(" ".join(_TAGS.sub(" ", sanitize(_plain.render(head))).split()))
    if len(plain) <= length:
        return plain
    return plain[:length].rsplit(" ", 1)[0] + "…"
