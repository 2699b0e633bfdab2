"""Health checks for load balancers and orchestrators: ``/healthz`` and ``/readyz``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import caching
from .extensions import db
from .throttling.limiter import app_throttles

bp = Blueprint("health", __name__)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def database_check() -> dict[str, Any]:
    """Run ``SELECT 1`` on a pooled connection (liveness.py replaces dead ones)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def cache_check() -> dict[str, Any]:
    """Report the cache: "ok", "degraded" (Redis unreachable: pages still served) or "local"."""
    return caching.cache_health()


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 while the process serves requests (liveness)."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Answer 503 only when the database is unreachable; a cache outage is "degraded"."""
    database = database_check()
    cache = cache_check()
    if not database["ok"]:
        status, code = "unavailable", 503
    elif cache.get("status") == "degraded":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return _no_store(jsonify(status=status, database=database, cache=cache)), code


def init_app(app: Flask) -> None:
    """Register the health checks, exempt from every rate limit."""
    app_throttles(app).exempt(bp)
    app.register_blueprint(bp)
