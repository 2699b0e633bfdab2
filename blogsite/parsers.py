"""Setting parsers: each takes a raw value and the variable's name, returns it typed or raises.

A raw value is a string from the environment or a Python value from ``instance/config.py``
or a test's config; every message names the variable to change.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits.strategies import STRATEGIES

Parser = Callable[[Any, str], Any]
LOG_FORMATS = ("json", "console")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class ConfigError(RuntimeError):
    """The configuration cannot run the site; the message says what to change."""


def text(value: Any, env: str) -> str:
    """Return ``value`` as a string."""
    return str(value)


def optional(parse: Parser) -> Parser:
    """Return a parser that maps None and blank strings to None and parses the rest."""

    def parse_optional(value: Any, env: str) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse(value, env)

    return parse_optional


def whole(minimum: int) -> Parser:
    """Return a parser of whole numbers of at least ``minimum``."""

    def parse_whole(value: Any, env: str) -> int:
        digits = str(value).strip().removeprefix("-")
        if isinstance(value, bool) or not digits.isdigit() or int(str(value)) < minimum:
            raise ConfigError(f"{env} must be a whole number of at least {minimum}; got {value!r}.")
        return int(str(value))

    return parse_whole


def number(minimum: float, maximum: float | None = None) -> Parser:
    """Return a parser of numbers between ``minimum`` and ``maximum``."""

    def parse_number(value: Any, env: str) -> float:
        try:
            result = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            result = None
        if result is None or result < minimum or (maximum is not None and result > maximum):
            bound = f"at least {minimum}" + (f" and at most {maximum}" if maximum else "")
            raise ConfigError(f"{env} must be a number {bound}; got {value!r}.")
        return result

    return parse_number


def flag(value: Any, env: str) -> bool:
    """Return ``value`` as a bool: 1/0, true/false, yes/no, on/off (any case)."""
    if isinstance(value, bool | int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise ConfigError(f"{env} must be 1 or 0 (true or false); got {value!r}.")


def not_empty(value: Any, env: str) -> str:
    """Return a string that is not blank."""
    if not str(value).strip():
        raise ConfigError(f"{env} must not be empty.")
    return str(value)


def url_prefix(value: Any, env: str) -> str:
    """Return a path below the site's root, such as ``/admin/``, ending in a slash."""
    path = str(value).strip()
    if not path.startswith("/") or not path.strip("/") or not path.isascii() or " " in path:
        raise ConfigError(f"{env} must be a path below the root, such as /admin/; got {value!r}.")
    return path.rstrip("/") + "/"


def one_of(choices: tuple[str, ...] | list[str]) -> Parser:
    """Return a parser accepting only ``choices``."""

    def parse_choice(value: Any, env: str) -> str:
        if value not in choices:
            raise ConfigError(f"{env} must be one of {sorted(choices)}; got {value!r}.")
        return str(value)

    return parse_choice


strategy = one_of(sorted(STRATEGIES))


def time_zone(value: Any, env: str) -> str:
    """Return an IANA time zone name that zoneinfo knows (``Europe/Paris``, ``UTC``)."""
    name = str(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{env} must be an IANA time zone such as UTC or Europe/Paris; got {value!r}."
        ) from None
    return name


def parse_redis_nodes(value: Any, name: str) -> list[tuple[str, int]]:
    """Parse ``host:port,host:port`` (or a list) into pairs, or raise ConfigError naming it."""
    entries = value.split(",") if isinstance(value, str) else value
    if not isinstance(entries, list | tuple):
        entries = [entries]
    nodes = []
    for entry in entries:
        host, _, port = str(entry).strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(
                f"BLOGSITE_{name} must be host:port pairs separated by commas; got {value!r}."
            )
        nodes.append((host.strip("[]"), int(port)))
    return nodes


def nodes(value: Any, env: str) -> Any:
    """Check a ``host:port,...`` list; keep it as given (the backends parse it again)."""
    parse_redis_nodes(value, env.removeprefix("BLOGSITE_"))
    return value


def nodes_or_seed(value: Any, env: str) -> Any:
    """Check a cluster setting: ``host:port`` pairs, or 1 to seed from ``REDIS_URL``."""
    if value is True or (isinstance(value, int | str) and str(value).strip().lower() in TRUE):
        return True
    return nodes(value, env)


def level(value: Any, env: str) -> str:
    """Return a standard log level name ("info", 20...)."""
    try:
        return level_name(value)
    except ValueError as error:
        raise ConfigError(f"{env}: {error}") from None


def level_name(value: str | int) -> str:
    """Return a standard level name for ``value`` ("info", 20...), or raise ValueError."""
    if isinstance(value, int) and not isinstance(value, bool):
        name = logging.getLevelName(value)
        if not name.startswith("Level "):
            return str(name)
    elif isinstance(value, str) and isinstance(logging.getLevelName(value.upper()), int):
        return value.upper()
    raise ValueError(f"unknown log level {value!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL")


def format_name(value: str) -> str:
    """Return ``json`` or ``console`` for ``value`` in any case, or raise ValueError."""
    name = str(value).strip().lower()
    if name not in LOG_FORMATS:
        raise ValueError(f"unknown log format {value!r}: use json or console")
    return name


def log_format(value: Any, env: str) -> str:
    """Return ``json`` or ``console``."""
    try:
        return format_name(value)
    except ValueError as error:
        raise ConfigError(f"{env}: {error}") from None


def log_file(value: Any, env: str) -> str:
    """Return a log file path whose folder exists and is writable."""
    folder = os.path.dirname(os.path.abspath(str(value)))
    if not os.access(folder, os.W_OK):
        raise ConfigError(
            f"{env}={value!r}: the folder {folder!r} does not exist "
            "or is not writable; create it or choose another path."
        )
    return str(value)


def http_url(value: Any, env: str) -> str:
    """Return an http:// or https:// URL."""
    if not str(value).startswith(("http://", "https://")):
        raise ConfigError(f"{env} must start with http:// or https://: {value!r}")
    return str(value)


def parse_networks(value: object) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Parse addresses or CIDR networks, comma-separated or a list."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        return [ipaddress.ip_network(str(item).strip(), strict=False) for item in items if item]
    except ValueError as error:
        raise ConfigError(
            f"BLOGSITE_METRICS_ALLOW must list IP addresses or networks, such as "
            f"'127.0.0.1,10.0.0.0/8': {error}"
        ) from None


def networks(value: Any, env: str) -> Any:
    """Check a list of networks; keep it as given."""
    parse_networks(value)
    return value


def database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# A DNS name, an IPv4 address or a bracketed IPv6 address, and an optional port.
SITE_HOST = re.compile(r"(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


def site_url(value: Any, env: str = "BLOGSITE_SITE_URL") -> str | None:
    """Return ``SITE_URL`` as ``scheme://host[:port]`` (lower case), or raise ConfigError."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    problem = (
        f"{env} must be the site's address, http(s)://host[:port] with no path, "
        f"query or fragment (for example https://blog.example.com); got {value!r}"
    )
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if (
        parts.scheme.lower() not in ("http", "https")
        or not SITE_HOST.fullmatch(parts.netloc.lower())
        or port == 0
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "?" in text
        or "#" in text
    ):
        # A path prefix is refused: url_for already puts the mount point (SCRIPT_NAME) in
        # every path, so a prefix here would be said twice.
        raise ConfigError(problem + ".")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def hosts(value: Any, env: str) -> Any:
    """Check host names, comma-separated or a list; keep them as given."""
    names = value if isinstance(value, list | tuple) else str(value).split(",")
    if any(not isinstance(name, str) or any(c.isspace() for c in name.strip()) for name in names):
        raise ConfigError(f"{env} must be host names separated by commas; got {value!r}.")
    return value
