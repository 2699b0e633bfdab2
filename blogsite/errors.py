"""Error pages: HTML from ``templates/errors/``, JSON for clients that ask for it."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from jinja2 import TemplateNotFound
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.wrappers import Response

from .extensions import db
from .logs import current_txid

logger = logging.getLogger(__name__)


def wants_json() -> bool:
    """Return whether the client prefers JSON to HTML."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(error: HTTPException, **context: Any) -> tuple[Response | str, int]:
    """Render ``error`` as a page (or JSON) with its status code and extra ``context``."""
    code = error.code or 500
    if wants_json():
        body: Response | str = jsonify(
            error=error.name,
            status=code,
            message=error.description,
            request_id=current_txid(),
            **context,
        )
        return body, code
    try:
        body = render_template(f"errors/{code}.html", error=error, **context)
    except TemplateNotFound:
        body = render_template("errors/error.html", error=error, **context)
    return body, code


def handle_http_error(error: HTTPException) -> HTTPException | Response:
    """Render an HTTP error, keeping its headers (``Allow``, ``Retry-After``...)."""
    if error.code is None or error.code < 400:
        return error  # routing redirects travel as exceptions too
    response = make_response(*render_error(error))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_database_unavailable(error: DBAPIError) -> tuple[Response | str, int]:
    """Answer 503 while the database is unreachable; pooled connections recover."""
    # One line, no traceback: an outage is not a bug, and would repeat on every request.
    logger.warning("database unavailable: %s", type(getattr(error, "orig", error)).__name__)
    db.session.rollback()
    return render_error(ServiceUnavailable("The database is unavailable; try again soon."))


def handle_internal_error(error: InternalServerError) -> tuple[Response | str, int]:
    db.session.rollback()
    return render_error(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    """Send every HTTP error and database outage to a rendered error page."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InternalServerError, handle_internal_error)
