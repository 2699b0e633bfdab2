"""The site as gunicorn serves it, plus one bare route to compare cached pages against."""

from __future__ import annotations

from blogsite import create_app

app = create_app()


@app.get("/bench/bare")
def bare() -> str:
    """Return a short constant: the cost of the framework, middleware and hooks alone."""
    return "ok"
