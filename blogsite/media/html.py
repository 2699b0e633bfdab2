"""``<img srcset sizes width height alt loading>`` for stored pictures, in templates and Markdown.

Everything comes from the file's name (names.py): no query, so a cached fragment and a
listing of plain data can render it.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

from flask import current_app, has_app_context
from markupsafe import Markup

from .names import Picture, parse_original

# The column is 46rem (736 px) with 1rem of padding each side.
COLUMN = "(max-width: 736px) calc(100vw - 2rem), 704px"
DEFAULT_WIDTHS = (480, 960, 1600)
SRC_WIDTH = 960  # what a browser that ignores srcset gets
MEDIA_IMG = re.compile(r'<img src="/media/([^"/]+)"([^>]*)>')
ALT = re.compile(r'\balt="([^"]*)"')
TITLE = re.compile(r'\btitle="([^"]*)"')


def _widths() -> tuple[int, ...]:
    if has_app_context():
        return tuple(current_app.config.get("MEDIA_WIDTHS") or DEFAULT_WIDTHS)
    return DEFAULT_WIDTHS


def _url(name: str) -> str:
    public = current_app.config.get("MEDIA_PUBLIC_URL") if has_app_context() else None
    return f"{public.rstrip('/')}/{name}" if public else f"/media/{name}"


def picture_tag(
    picture: Picture,
    alt: str,
    *,
    sizes: str = COLUMN,
    loading: str = "lazy",
    css_class: str = "",
    title: str = "",
    display_width: int | None = None,
) -> Markup:
    """Return the ``<img>`` of a stored picture with its WebP copies as ``srcset``."""
    variants = picture.variants(_widths())
    srcset = ", ".join(f"{_url(name)} {width}w" for name, width, _ in variants)
    fallback = [v for v in variants if v[1] <= SRC_WIDTH][-1:] or variants[:1]
    name, width, height = fallback[0]
    if display_width:  # a thumbnail: shown this wide, whatever file the browser picks
        width, height = display_width, picture.height_at(display_width)
    attributes = [
        f'src="{escape(_url(name))}"',
        f'srcset="{escape(srcset)}"',
        f'sizes="{escape(sizes)}"',
        f'width="{width}" height="{height}"',
        f'alt="{escape(alt)}"',
    ]
    if title:
        attributes.append(f'title="{escape(title)}"')
    attributes.append(f'loading="{escape(loading)}" decoding="async"')
    if css_class:
        attributes.insert(0, f'class="{escape(css_class)}"')
    return Markup(f"<img {' '.join(attributes)}>")


def stored_picture(name: str | None, alt: str, **options: Any) -> Markup | None:
    """Return the ``<img>`` of the stored original ``name``; None if that is no such name."""
    picture = parse_original(name or "")
    return picture_tag(picture, alt, **options) if picture else None


def responsive_images(html: str) -> str:
    """Give each sanitized ``<img src="/media/...">`` its srcset, sizes and dimensions."""

    def rewrite(match: re.Match[str]) -> str:
        picture = parse_original(match[1])
        if picture is None:
            return match[0]
        alt, title = ALT.search(match[2]), TITLE.search(match[2])
        return picture_tag(
            picture, unescape(alt[1]) if alt else "", title=unescape(title[1]) if title else ""
        )

    return MEDIA_IMG.sub(rewrite, html)


def cover_picture(cover: Any, *, loading: str = "lazy", eager: bool = False) -> Markup:
    """Return a cover's ``<img>``: a stored picture with srcset, or an outside link as before.

    ``cover`` is a CoverImage or the plain data the cached queries hold ({link, media, alt}).
    """
    if not cover:
        return Markup("")
    if isinstance(cover, dict):
        link, name, alt = cover.get("link"), cover.get("media"), cover.get("alt") or ""
    else:
        link, alt = cover.image_link, cover.alt_text or ""
        name = cover.media.name if cover.media is not None else None
    extra = ' fetchpriority="high"' if eager else ""
    loading = "eager" if eager else loading
    picture = parse_original(name or "")
    if picture is not None:
        tag = picture_tag(picture, alt, loading=loading, css_class="cover")
        return Markup(str(tag)[:-1] + extra + ">")
    if not link:
        return Markup("")
    return Markup(
        f'<img class="cover" src="{escape(link)}" alt="{escape(alt)}" width="800" height="400" '
        f'loading="{escape(loading)}"{extra}>'
    )
