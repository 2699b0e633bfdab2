"""Files browsers ask every site for: /favicon.ico and the web app manifest."""

from __future__ import annotations

import json

from flask import Response, current_app, url_for

from . import bp

THEME_COLOUR = "#1f5fbf"  # --accent in static/css/site.css, the icons' background


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers fetch from the root when a page names none (16, 32, 48 px)."""
    response = current_app.send_static_file("favicon.ico")
    response.mimetype = "image/vnd.microsoft.icon"
    return response


def icon(name: str, sizes: str, kind: str) -> dict[str, str]:
    """Return a manifest icon entry for a static file."""
    return {"src": url_for("static", filename=name), "sizes": sizes, "type": kind}


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: name, colours and icons for "Add to home screen"."""
    body = {
        "name": current_app.config["SITE_NAME"],
        "short_name": current_app.config["SITE_NAME"][:12],
        "description": current_app.config["SITE_DESCRIPTION"],
        "start_url": url_for("blog.index"),
        "scope": url_for("blog.index"),
        "display": "minimal-ui",
        "theme_color": THEME_COLOUR,
        "background_color": "#fdfdfc",
        "icons": [
            icon("favicon.svg", "any", "image/svg+xml"),
            icon("icons/icon-192.png", "192x192", "image/png"),
            icon("icons/icon-512.png", "512x512", "image/png"),
        ],
    }
    text = json.dumps(body, ensure_ascii=False, indent=1)
    return Response(text, mimetype="application/manifest+json")
