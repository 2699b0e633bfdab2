"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session, url_for
from flask_wtf.csrf import generate_csrf

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


def local_time(value: datetime | None) -> str:
    """Format a stored (UTC) time in the site's time zone: 3 Dec 2026, 09:00 JST."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return local.strftime("%-d %b %Y, %H:%M ") + (local.tzname() or "")


def is_scheduled(blog: dict[str, Any]) -> bool:
    """Return whether a blog (as queries return it) is published for a time still to come."""
    when = blog.get("publish_at")
    if blog.get("status") != "published" or when is None:
        return False
    return bool((when if when.tzinfo else when.replace(tzinfo=UTC)) > datetime.now(UTC))


# The layout's links on every page: built once per mount point, not ten url_for a page.
LAYOUT_LINKS: dict[str, tuple[str, dict[str, Any]]] = {
    "css": ("static", {"filename": "css/site.css"}),
    "index": ("blog.index", {}),
    "feed": ("blog.feed", {}),
    "sitemap": ("blog.sitemap", {}),
    "new": ("blog.new", {}),
    "account": ("auth.account", {}),
    "logout": ("auth.logout", {}),
    "register": ("auth.register", {}),
    "search": ("blog.search_page", {}),
    "favicon": ("blog.favicon", {}),
    "favicon_svg": ("static", {"filename": "favicon.svg"}),
    "touch_icon": ("static", {"filename": "icons/icon-192.png"}),
    "manifest": ("blog.manifest", {}),
}
LINKS = "blogsite_layout_links"
MOUNT_POINTS = 16  # a few mount points at most; beyond that, build them per request


def layout_links() -> dict[str, str]:
    """Return the layout's fixed links under this request's mount point."""
    known: dict[str, dict[str, str]] = current_app.extensions[LINKS]
    links = known.get(request.script_root)
    if links is None:
        links = {name: url_for(ep, **args) for name, (ep, args) in LAYOUT_LINKS.items()}
        if len(known) < MOUNT_POINTS:
            known[request.script_root] = links
    return links


class SessionTokens:
    """Each session's signed CSRF token, reused for a minute instead of signed per page.

    Flask-WTF signs the session's secret with a timestamp on every page that shows a form
    (the header's logout button: every logged-in page). Within a minute the same signed
    token is as good as a new one: it is checked the same way and expires at most a
    minute sooner (WTF_CSRF_TIME_LIMIT is an hour). A new session has a new secret, so a
    new token.
    """

    REUSE_SECONDS = 60.0
    MAX_SESSIONS = 4096

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def token(self) -> str:
        """Return a valid CSRF token for this request's session (Flask-WTF's, maybe reused)."""
        name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        secret = session.get(name)
        now = time.monotonic()
        if isinstance(secret, str):
            with self._lock:
                hit = self._tokens.get(secret)
            if hit is not None and now - hit[0] < self.reuse_seconds():
                return hit[1]
        token = str(generate_csrf())  # creates the session's secret if it has none
        secret = session.get(name)
        if isinstance(secret, str):
            with self._lock:
                if len(self._tokens) >= self.MAX_SESSIONS:
                    self._tokens.clear()  # bounded; the next pages simply sign again
                self._tokens[secret] = (now, token)
        return token

    def reuse_seconds(self) -> float:
        limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
        return self.REUSE_SECONDS if limit is None else min(self.REUSE_SECONDS, limit / 60)


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
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["is_scheduled"] = is_scheduled
    # The one way templates build absolute URLs (feeds, sitemaps): see site_url.py.
    app.jinja_env.globals["absolute_url"] = absolute_url
    from . import metadata  # here: metadata formats its dates with iso_datetime above

    for helper in (metadata.canonical_url, metadata.cover_url, metadata.json_ld,
                   metadata.blog_posting, metadata.person):  # fmt: skip
        app.jinja_env.globals[helper.__name__] = helper
    app.extensions[LINKS] = {}
    app.jinja_env.globals["layout_links"] = layout_links
    # Flask-WTF's csrf_token() for templates, reusing each session's signed token a while;
    # Flask-WTF's own context processor ran first, so this one's value wins.
    context = site_globals(app) | {"csrf_token": SessionTokens().token}
    app.jinja_env.globals["csrf_token"] = context["csrf_token"]
    app.context_processor(lambda: context)
