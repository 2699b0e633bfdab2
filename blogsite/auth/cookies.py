"""Flask's signed session cookie, verified once per worker rather than on every request.

Flask builds a serializer, checks the cookie's HMAC, decompresses it and parses its JSON on
every request: for a signed-in reader, about a tenth of a page served from the caches. The
same cookie text always verifies the same way under the same keys, so a worker keeps what
it verified, keyed by that text: on the next request only the signature's age is checked
again, as itsdangerous does (``PERMANENT_SESSION_LIFETIME``). A changed key (or fallback)
finds nothing kept. Only sessions of plain values are kept: one holding a list (flashed
messages) is parsed afresh, so no request can change what another reads.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from cachetools import LRUCache
from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

PLAIN = (str, int, float, bool, type(None))


class VerifiedCookies(SecureCookieSessionInterface):
    """Flask's cookie sessions, with each worker remembering the cookies it verified."""

    MAX_COOKIES = 4096  # a few hundred bytes each: about a megabyte at most

    def __init__(self) -> None:
        # cookie text -> (the serializer that verified it, signed at (epoch seconds), data)
        self._verified: LRUCache[str, tuple[URLSafeTimedSerializer, int, dict[str, Any]]]
        self._verified = LRUCache(self.MAX_COOKIES)
        self._serializer: tuple[tuple[Any, ...], URLSafeTimedSerializer] | None = None
        self._lock = threading.Lock()

    def held(self) -> int:
        """Return how many verified cookies this worker keeps (for tests and inspection)."""
        with self._lock:
            return len(self._verified)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return Flask's serializer, built once per set of keys instead of per request."""
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        known = self._serializer
        if known is not None and known[0] == keys:
            return known[1]
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            self._serializer = (keys, serializer)
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        text = request.cookies.get(self.get_cookie_name(app))
        if not text:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        with self._lock:
            kept = self._verified.get(text)
        if kept is not None and kept[0] is serializer:
            age = int(time.time()) - kept[1]
            if 0 <= age <= max_age:  # itsdangerous's rule: older, or from the future, fails
                return self.session_class(kept[2])
        try:
            data, signed = serializer.loads(text, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, PLAIN) for v in data.values()):
            with self._lock:
                self._verified[text] = (serializer, int(signed.timestamp()), dict(data))
        return self.session_class(data)
