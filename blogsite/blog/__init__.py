"""The public pages and, for writers, the authoring pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("blog", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
