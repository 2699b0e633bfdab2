"""The public pages and, for writers, the authoring pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("blog", __name__)

from . import assets, editor, feeds, original, search, sitemaps, views  # noqa: E402,F401  (register the routes on bp)
