"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from .markup import render_markdown
from .site_url import absolute_url


def format_date(value: datetime | None) -> str:
    """Format a date the way readers see it: 23 Nov 2026."""
    return value.strftime("%-d %b %Y") if value else ""


def iso_datetime(value: datetime | None) -> str:
    """Format a timestamp as RFC 3339 in UTC for feeds and sitemaps."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def site_globals(app: Flask) -> dict[str, Any]:
    return {
        "site_name": app.config["SITE_NAME"],
        "site_description": app.config["SITE_DESCRIPTION"],
    }


def register_template_helpers(app: Flask) -> None:
    """Register the Markdown and date filters, ``absolute_url`` and the site-wide globals."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["isodatetime"] = iso_datetime
    # The one way templates build absolute URLs (feeds, sitemaps): see site_url.py.
    app.jinja_env.globals["absolute_url"] = absolute_url
    from . import metadata  # here: metadata formats its dates with iso_datetime above

    for helper in (metadata.canonical_url, metadata.cover_url, metadata.json_ld,
                   metadata.blog_posting, metadata.person):  # fmt: skip
        app.jinja_env.globals[helper.__name__] = helper
    app.context_processor(lambda: site_globals(app))
