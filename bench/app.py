"""The site as gunicorn serves it, plus one bare route to compare cached pages against."""

from __future__ import annotations

import functools

from flask import Blueprint

from blogsite import create_app

# In a blueprint, like every public page: the same before/after-request hooks run
# (flask-limiter checks blueprint limits and exemptions), so the ratio is the cache's cost.
bench = Blueprint("bench", __name__)


@bench.get("/bench/bare")
def bare() -> str:
    """Return a short constant: the cost of the framework, middleware and hooks alone."""
    return "ok"


@bench.get("/bench/bare/<int(max=1000000):size>")
@functools.lru_cache(maxsize=4)
def bare_sized(size: int) -> bytes:
    """Return a constant body of ``size`` bytes: what sending a long page costs by itself."""
    return b"x" * size


app = create_app()
app.register_blueprint(bench)
