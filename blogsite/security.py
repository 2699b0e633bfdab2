"""Security headers on every response, trusted hosts, and a clean answer to a bad Host."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request, session
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Response

from . import deploy_check
from .errors import wants_json
from .site_url import CaseInsensitiveHost
from .users import loaded_account

# flask-admin's templates carry inline <script> blocks, which get a per-request nonce
# (pass ``csp_nonce`` to ``Admin(csp_nonce_generator=...)``), and inline event handlers,
# which a nonce cannot cover: they are allowed one by one by hash ('unsafe-hashes'), so
# injected markup still cannot run script. These two are on every list page; the console
# adds those of its delete buttons and bulk actions (admin.inline_handlers, at start-up).
# Its widgets (select2, the date picker, x-editable, filters) style elements through the
# DOM, which CSP allows, so styles need no 'unsafe-inline' either. Not covered: the "Add"
# button of inline models and the *_modal dialogs, whose inline script arrives by XHR with
# another response's nonce: the console uses none of them.
ADMIN_INLINE_HANDLERS = (
    "return false;",  # the items of its "Add Filter" menu
    "javascript:void(0)",  # the inert href of its menu toggles; Chromium checks it too
)
HANDLER_HASHES = "admin_csp_hashes"  # app.extensions: the hashes the console's policy lists

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Pages that carry a CSRF token bound to the session, or the user's own data, even for a
# visitor who is not logged in yet. Console pages and logged-in users are covered anyway.
PERSONAL_ENDPOINTS = frozenset(
    {"auth.login", "auth.register", "auth.account", "blog.new", "blog.edit", "blog.delete"}
)


def csp_hash(source: str) -> str:
    """Return the CSP source expression ('sha256-...') allowing this exact inline code."""
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def csp_nonce() -> str:
    """Return this request's CSP nonce (one per request), for flask-admin's inline scripts."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def allow_admin_handlers(app: Flask, handlers: Iterable[str]) -> None:
    """Let the console's policy run exactly these inline handlers (and the fixed two)."""
    allowed = sorted({*ADMIN_INLINE_HANDLERS, *handlers})
    app.extensions[HANDLER_HASHES] = " ".join(csp_hash(handler) for handler in allowed)


def is_admin_request() -> bool:
    """Return whether the response comes from the admin console (flask-admin views)."""
    if request.path.startswith(current_app.config["ADMIN_URL_PREFIX"]):
        return True
    blueprint = current_app.blueprints.get(request.blueprint or "")
    return blueprint is not None and blueprint.import_name.startswith("flask_admin")


def content_security_policy() -> str:
    """Return the policy for the current request: strict for the site, nonced for admin."""
    config = current_app.config
    if not is_admin_request():
        return str(config["CONTENT_SECURITY_POLICY"])
    hashes = current_app.extensions.get(HANDLER_HASHES)
    if hashes is None:  # an app without the console: only the fixed handlers
        hashes = " ".join(csp_hash(handler) for handler in ADMIN_INLINE_HANDLERS)
    return str(config["ADMIN_CONTENT_SECURITY_POLICY"]).format(nonce=csp_nonce(), hashes=hashes)


def is_personal() -> bool:
    """Return whether the response may hold one visitor's data: no cache may keep it."""
    endpoint = request.endpoint or ""
    if endpoint in ("static", "media_file") or endpoint.endswith(".static"):
        return False  # the same file for everyone, the console's included
    if endpoint in PERSONAL_ENDPOINTS or is_admin_request():
        return True
    # The page cache never answers a logged-in user, so none of their responses is public.
    # Reading the account already loaded (or the session's id) costs no database query.
    if loaded_account() is not None:
        return True
    return bool(session) and session.get("_user_id") is not None


def add_security_headers(response: Response) -> Response:
    """Add the security headers; a view may set its own value for any of them first."""
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_personal():
        # Not even the browser's cache (its back button, a shared computer) may keep it.
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    # HSTS over plain HTTP is ignored by browsers and would be wrong behind no TLS.
    # request.is_secure follows X-Forwarded-Proto only from a trusted proxy.
    max_age = int(current_app.config["HSTS_MAX_AGE"] or 0)
    if request.is_secure and max_age > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def parse_hosts(value: Any) -> list[str] | None:
    """Parse ``ALLOWED_HOSTS`` (comma-separated or a list); ``None`` means any host."""
    if value is None:
        return None
    many = isinstance(value, list | tuple)  # instance/config.py may give either
    names = [str(name) for name in value] if many else str(value).split(",")
    hosts = [name.strip().lower() for name in names if name.strip()]
    if not hosts or "*" in hosts:
        return None
    return hosts


def handle_bad_host(error: SecurityError) -> tuple[Response | str, int]:
    """Answer 400 to an untrusted or malformed Host without building any URL from it."""
    # The URL adapter could not be built for this Host, so the usual error page
    # (whose layout calls url_for) cannot render; this one is self-contained.
    message = "This site does not answer to that host name."
    if wants_json():
        return jsonify(error="Bad Request", status=400, message=message), 400
    return render_template("errors/bad_host.html", message=message), 400


def init_app(app: Flask) -> None:
    """Add security headers, no-store on personal pages, case-insensitive trusted hosts."""
    app.wsgi_app = CaseInsensitiveHost(app.wsgi_app)  # type: ignore[method-assign]
    hosts = parse_hosts(app.config["ALLOWED_HOSTS"])
    if hosts is not None and app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = hosts
    app.register_error_handler(SecurityError, handle_bad_host)
    app.cli.add_command(deploy_check.check_deploy_command)
