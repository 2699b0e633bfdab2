"""Who a request counts against: the client address, the user, the phone number tried."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..formdata import submitted_text
from ..normalize import normalize_phone

IPV6_BLOCK = 64  # one subscriber gets a whole /64; single IPv6 addresses cost nothing to rotate


def normalize_address(raw: str) -> str:
    """Return the throttle identity of an address (IPv6 grouped by /64), or raise ValueError."""
    address = ipaddress.ip_address(raw.strip())
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address.packed, IPV6_BLOCK), strict=False)
        return str(network)
    return str(address)


def client_address() -> str:
    """Return the client address: ``remote_addr``, which only ProxyFix may rewrite."""
    try:
        return normalize_address(request.remote_addr or "")
    except ValueError:
        return "unknown"  # e.g. a unix socket without a trusted proxy in front


def address_key() -> str:
    return f"ip:{client_address()}"


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def phone_key(phone_no: str) -> str:
    """Return the key for a normalised phone number, keyed-hashed so logs never show it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, phone_no.encode(), hashlib.sha256).hexdigest()
    return f"phone:{digest[:32]}"


def current_user_id() -> int | None:
    """Return the logged-in user's id, or None (also when the database cannot say)."""
    try:
        return int(current_user.id) if current_user.is_authenticated else None
    except SQLAlchemyError:
        return None  # the view answers 503 itself; the throttle must not fail first


def current_user_key() -> str:
    """Key on the logged-in user; "" (nothing to count) for anonymous visitors."""
    user_id = current_user_id()
    return user_key(user_id) if user_id is not None else ""


def user_or_address_key() -> str:
    """Key logged-in users on their id and anonymous visitors on their address (DRF)."""
    user_id = current_user_id()
    return user_key(user_id) if user_id is not None else address_key()


def submitted_phone() -> str | None:
    """Return the normalised phone number posted, in whatever body the form reads, or None."""
    try:
        return normalize_phone(submitted_text("phone_no"))
    except ValueError:
        return None  # not a phone number: no account to guess at
    except HTTPException:
        # A body too large, or malformed JSON. Raising here would not reach the client:
        # flask-limiter would take it for a storage failure and switch to in-memory
        # counting. guard.guard_request answers both (413, 400) before any throttle runs.
        return None


def submitted_phone_key() -> str:
    phone = submitted_phone()
    return phone_key(phone) if phone else ""


def upload_key() -> str:
    """Key a request that carries a chosen file like ``user``; "" (not counted) without one."""
    # An editor's save without a picture is no upload: only files count against "upload".
    if not any(upload.filename for upload in request.files.values()):
        return ""
    return user_or_address_key()
