"""Prometheus metrics: requests and latency here; cache, throttle and breaker from elsewhere.

Under gunicorn every worker counts on its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (before
the process starts) the workers share files in that directory and ``/metrics`` adds them up.
"""

from __future__ import annotations

import ipaddress
import os

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask_login import current_user
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from .parsers import parse_networks

REQUESTS = Counter(
    "blogsite_http_requests_total", "HTTP requests served.", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "blogsite_http_request_duration_seconds",
    "Time to build a response, in seconds.",
    ["endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CACHE = Counter(
    "blogsite_cache_requests_total", "Cache lookups by cache and result.", ["cache", "result"]
)
CACHE_CHILDREN: dict[tuple[str, bool], Counter] = {}  # (cache, hit) -> CACHE's labelled child
THROTTLED = Counter(
    "blogsite_throttled_requests_total", "Requests refused by a rate limit.", ["scope"]
)
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}
BREAKER = Gauge(
    "blogsite_cache_breaker_state",
    "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
    ["breaker"],
    multiprocess_mode="livemax",  # open in any live worker shows as open
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

bp = Blueprint("metrics", __name__)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one request and its latency (labels stay few: no paths, no odd methods)."""
    method = method if method in METHODS else "OTHER"
    REQUESTS.labels(endpoint, method, str(status)).inc()
    LATENCY.labels(endpoint, str(status)).observe(seconds)


def record_cache(cache: str, hit: bool) -> None:
    """Count a lookup in ``cache`` ("page" or "query") as a hit or a miss."""
    # The labelled child, found once: ``labels()`` checks and locks on every call, and a
    # page cache hit does little else (the children are never removed).
    child = CACHE_CHILDREN.get((cache, hit))
    if child is None:
        child = CACHE_CHILDREN[cache, hit] = CACHE.labels(cache, "hit" if hit else "miss")
    child.inc()


def record_throttled(scope: str) -> None:
    """Count a request refused by the limit ``scope`` ("anon", "user", "blog_limit"...)."""
    THROTTLED.labels(scope).inc()


def set_breaker_state(state: str, breaker: str = "redis") -> None:
    """Publish a breaker's state: "closed", "half_open" or "open"."""
    if state not in BREAKER_STATES:
        raise ValueError(f"breaker state must be one of {sorted(BREAKER_STATES)}, not {state!r}")
    BREAKER.labels(breaker).set(BREAKER_STATES[state])


def mark_process_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (call from gunicorn's ``child_exit`` hook)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]  # unannotated upstream


def client_allowed(remote_addr: str | None) -> bool:
    """Return whether ``remote_addr`` is in one of the allowed networks."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in current_app.extensions["metrics_allow"])


def current_registry() -> CollectorRegistry:
    """Return the registry ``/metrics`` serves: this process's, or every worker's summed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
        return registry
    return REGISTRY


def totals(metric: str, label: str) -> dict[tuple[str, ...], float]:
    """Return a counter's totals by its labels (``label`` first), read through the public API."""
    found: dict[tuple[str, ...], float] = {}
    for family in current_registry().collect():
        if family.name != metric:
            continue
        for sample in family.samples:
            if sample.name == metric + "_total":
                labels = sample.labels
                key = (labels.get(label, ""), *(v for k, v in sorted(labels.items()) if k != label))
                found[key] = found.get(key, 0.0) + sample.value
    return found


@bp.get("/metrics")
def metrics() -> Response:
    """Serve the metrics in Prometheus text format (summed over workers in multiprocess mode)."""
    # The address first: from an allowed network no user (no database) is needed.
    allowed = client_allowed(request.remote_addr) or (
        current_user.is_authenticated and current_user.is_staff
    )
    if not allowed:
        abort(403)
    response = Response(generate_latest(current_registry()), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Serve ``/metrics`` to staff and to the ``METRICS_ALLOW`` networks, never throttled."""
    app.extensions["metrics_allow"] = parse_networks(app.config["METRICS_ALLOW"])
    from .throttling.limiter import app_throttles  # throttling imports these metrics

    app_throttles(app).exempt(bp)
    app.register_blueprint(bp)
