"""Accounts: register and log in with a phone number, log out, manage the account."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from . import account, devices, views  # noqa: E402,F401  (registers the routes on bp)
