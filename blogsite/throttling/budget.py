"""Remaining budgets per client, and resetting them: for ``flask throttle`` and the admin."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from limits import parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage
from redis.exceptions import RedisError

from ..extensions import db
from ..models import User
from ..normalize import normalize_phone
from .keys import normalize_address, phone_key, user_key
from .limiter import current_limiter
from .rules import THROTTLES
from .settings import describe_item

MAX_ID = 2**31 - 1  # PostgreSQL integer ids
GRANULARITIES = {"second", "minute", "hour", "day", "month", "year"}


class ThrottleStorageError(RuntimeError):
    """The throttle storage (Redis) cannot be reached right now."""


def client_keys(
    ip: str | None = None, user_id: int | None = None, phone: str | None = None
) -> list[str]:
    """Return the throttle keys of an address, a user (and their phone) or a phone hash key."""
    keys = []
    if ip is not None:
        try:
            keys.append(f"ip:{normalize_address(str(ip))}")
        except ValueError:
            raise ValueError(f"{ip!r} is not an IPv4 or IPv6 address.") from None
    if user_id is not None:
        if isinstance(user_id, bool) or not isinstance(user_id, int) or not 1 <= user_id <= MAX_ID:
            raise ValueError(f"{user_id!r} is not a user id (a whole number from 1).")
        user = db.session.get(User, user_id)
        if user is None:
            raise ValueError(f"No user has the id {user_id}.")
        # Unlocking a user also clears failed log-ins against their phone number.
        keys += [user_key(user_id), phone_key(user.phone_no)]
    if phone is not None and phone.startswith("phone:"):
        keys.append(phone)  # a key as ``flask throttle status`` lists it
    elif phone is not None:
        try:
            keys.append(phone_key(normalize_phone(phone)))
        except ValueError:
            raise ValueError(f"{phone!r} is not a phone number.") from None
    return keys


def _kind(client: str) -> str:
    return client.split(":", 1)[0]


def _rows(client: str) -> list[dict[str, Any]]:
    rows = []
    rates = current_app.config["THROTTLE_RATES"]
    for throttle in THROTTLES.values():
        if _kind(client) not in throttle.keyed_on or not rates.get(throttle.name):
            continue
        for item in parse_many(rates[throttle.name]):
            reset_at, remaining = current_limiter().limiter.get_window_stats(
                item, client, throttle.name
            )
            used = item.amount - remaining
            rows.append({
                "throttle": throttle.name,
                "client": client,
                "limit": describe_item(item),
                "amount": item.amount,
                "used": used,
                "remaining": remaining,
                "reset_at": datetime.fromtimestamp(reset_at, UTC) if used else None,
                "item": item,
            })  # fmt: skip
    return rows


def _client_of(key: str) -> str | None:
    """Return the client part of a storage key ``LIMITER/<client>/<scope>/<n>/<m>/<unit>``."""
    key = key.removeprefix(current_app.config["THROTTLE_KEY_PREFIX"] + ":")
    parts = key.replace("{", "").replace("}", "").split("/")
    if not parts or parts[0] != "LIMITER":
        return None
    for index in range(len(parts) - 1, 3, -1):
        if parts[index] in GRANULARITIES and parts[index - 1].isdigit():
            scope, client = parts[index - 3], "/".join(parts[1 : index - 3])
            return client if scope in THROTTLES and client else None
    return None


def tracked_clients(storage: Storage) -> list[str]:
    """Return every client with a live counter, read from Redis or this process's memory."""
    if isinstance(storage, MemoryStorage):
        keys: Any = [*storage.storage, *storage.events]
    else:
        pattern = f"{current_app.config['THROTTLE_KEY_PREFIX']}:*"
        keys = storage.get_connection().scan_iter(match=pattern, count=1000)  # type: ignore[attr-defined]
    found = {_client_of(k.decode() if isinstance(k, bytes) else k) for k in keys}
    return sorted(client for client in found if client)


def _storage_call(action: Any) -> Any:
    try:
        return action()
    except (RedisError, StorageError, ConnectionError, TimeoutError) as error:
        raise ThrottleStorageError(f"The throttle storage is unreachable ({error}).") from error


def budget_status(
    ip: str | None = None, user_id: int | None = None, *, phone: str | None = None
) -> list[dict[str, Any]]:
    """Return one row per limit for a client, or for every tracked client when none is given.

    Rows: throttle, client, limit (in words), amount, used, remaining, reset_at (UTC datetime,
    None when unused). Raises ValueError for a bad address or an unknown user id, and
    ThrottleStorageError when Redis cannot be reached.
    """
    clients = client_keys(ip, user_id, phone)

    def status() -> list[dict[str, Any]]:
        chosen = clients or tracked_clients(current_limiter().limiter.storage)
        return [row for client in chosen for row in _rows(client)]

    return [{k: v for k, v in row.items() if k != "item"} for row in _storage_call(status)]


def reset_budget(
    ip: str | None = None, user_id: int | None = None, *, phone: str | None = None
) -> int:
    """Clear a client's budgets, or every budget when none is given; return how many were cleared.

    For a client the count is the limits that had been used; for everything, the storage keys
    deleted under this site's throttle prefix (nothing else in Redis is touched).
    """
    clients = client_keys(ip, user_id, phone)

    def reset() -> int:
        if not clients:
            return _reset_all(current_limiter().limiter.storage)
        used = [row for client in clients for row in _rows(client) if row["used"]]
        for row in used:
            current_limiter().limiter.clear(row["item"], row["client"], row["throttle"])
        return len(used)

    return int(_storage_call(reset))


def _reset_all(storage: Storage) -> int:
    if isinstance(storage, MemoryStorage):
        return storage.reset() or 0
    connection = storage.get_connection()  # type: ignore[attr-defined]
    keys = list(connection.scan_iter(match=f"{current_app.config['THROTTLE_KEY_PREFIX']}:*"))
    deleted = 0
    for start in range(0, len(keys), 500):
        pipe = connection.pipeline(transaction=False)  # one DEL per key: fine on a cluster too
        for key in keys[start : start + 500]:
            pipe.delete(key)
        deleted += sum(pipe.execute())
    return deleted


def seconds_until(moment: datetime | None) -> int | None:
    """Return the whole seconds from now until ``moment`` (None stays None)."""
    return None if moment is None else max(0, math.ceil(moment.timestamp() - time.time()))
