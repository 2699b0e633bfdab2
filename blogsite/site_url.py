"""Absolute URLs from ``SITE_URL``, and host names compared the way DNS compares them.

Absolute URLs built from the request's Host would let one request with an odd Host
(``localhost:6666``) or scheme (``X-Forwarded-Proto`` from a trusted proxy) put its URLs
into a page that the page cache then serves to everyone. ``SITE_URL`` makes them fixed;
without it, the page cache keys such pages by ``origin_key()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_request_context, request, url_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HOST_URLS = "blogsite_host_urls"  # g flag: this response holds URLs made from the request


def absolute_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of ``endpoint``: on ``SITE_URL`` if set, else the request's."""
    origin: str | None = current_app.config.get("SITE_URL")
    if origin is None:
        # The page cache checks this flag: such a page must be keyed by scheme and host.
        g.setdefault(HOST_URLS, True)
        return url_for(endpoint, _external=True, **values)
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        # No request to build from (a CLI command, a mail): bind the URL map to SITE_URL.
        scheme, _, host = origin.partition("://")
        adapter = current_app.url_map.bind(host, url_scheme=scheme)
        current_app.inject_url_defaults(endpoint, values)
        path = adapter.build(endpoint, values)
    return origin + path


def origin_key() -> str:
    """Return what this request's absolute URLs depend on: nothing with ``SITE_URL``."""
    if current_app.config.get("SITE_URL"):
        return ""
    return f"{request.scheme}://{request.host.lower()}"


def uses_request_host() -> bool:
    """Return whether this response holds absolute URLs made from the request's host."""
    return bool(g.get(HOST_URLS))


class CaseInsensitiveHost:
    """WSGI middleware: lower-case the Host header before Flask checks ``TRUSTED_HOSTS``."""

    # Werkzeug (3.1.9) compares the Host with the trusted names case-sensitively, so
    # ``Host: LOCALHOST`` got a 400 although host names are case-insensitive (RFC 4343).
    # Lower-casing here also gives URLs and cache keys one spelling per host.

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if host:
            environ["HTTP_HOST"] = host.lower()
        return self.app(environ, start_response)
