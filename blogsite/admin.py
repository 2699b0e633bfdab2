"""The flask-admin console (built by the admin issue)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Mount the admin console; empty until the admin issue builds it."""
