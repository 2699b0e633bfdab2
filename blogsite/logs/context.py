"""The request context of every log record: ``txid``, ``uid``, method and path."""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from contextvars import ContextVar, Token
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_login import user_loaded_from_cookie, user_logged_in, user_logged_out

from ..users import account_known, loaded_account

# contextvars, not thread-locals: right under threads, greenlets and asyncio alike.
_txid: ContextVar[str | None] = ContextVar("blogsite_txid", default=None)
_uid: ContextVar[int | None] = ContextVar("blogsite_uid", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_PATH = 512


def current_txid() -> str | None:
    """Return the transaction id of the request being served, if any."""
    return _txid.get()


def current_uid() -> int | None:
    """Return the id of the logged-in user of the request being served, if any."""
    return _uid.get()


def request_id_from(header: str | None) -> str:
    """Return ``header`` when it is a valid request id, else a new uuid4."""
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return str(uuid.uuid4())


def _session_uid() -> int | None:
    # The cookie is signed, so the id is genuine; the user is loaded (a query) only if a
    # hook or the view asks for it, and settle_uid() follows that.
    raw = session.get("_user_id")
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def set_uid(uid: int | None) -> None:
    """Record who the current request is acting for."""
    _uid.set(uid)


def bind_request() -> None:
    """Give the request its txid and uid, and note when it started."""
    txid = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.log_tokens = (_txid.set(txid), _uid.set(_session_uid()))
    g.log_started = time.perf_counter()


def settle_uid() -> int | None:
    """Return the final uid, trusting flask-login's user when the request loaded it."""
    if account_known():
        user = loaded_account()
        set_uid(user.id if user is not None else None)
    return current_uid()


def unbind_request(error: BaseException | None = None) -> None:
    """Forget the request's ids so that later records in this thread do not carry them."""
    bound: tuple[Token[Any], Token[Any]] | None = g.pop("log_tokens", None)
    if bound is None:
        return
    try:
        _txid.reset(bound[0])
        _uid.reset(bound[1])
    except ValueError:  # torn down in another context than it was bound in
        _txid.set(None)
        _uid.set(None)


def _on_login(sender: Flask, user: Any, **extra: Any) -> None:
    set_uid(user.id)


def _on_logout(sender: Flask, user: Any, **extra: Any) -> None:
    set_uid(None)


def connect_login_signals() -> None:
    """Follow logins, logouts and remember-me logins within a request."""
    user_logged_in.connect(_on_login)
    user_loaded_from_cookie.connect(_on_login)
    user_logged_out.connect(_on_logout)


class ContextFilter(logging.Filter):
    """Add ``txid``, ``uid``, ``method`` and ``path`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # The context is a bonus; the record itself must get through.
        with contextlib.suppress(Exception):
            self._add_context(record)
        return True

    @staticmethod
    def _add_context(record: logging.LogRecord) -> None:
        if not hasattr(record, "txid"):
            record.txid = current_txid()
        uid = current_uid()
        if uid is not None and not hasattr(record, "uid"):
            record.uid = uid
        if has_request_context() and not hasattr(record, "path"):
            record.method = request.method[:16]
            record.path = request.path[:MAX_PATH]
