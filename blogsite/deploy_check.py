"""``flask check-deploy``: list what makes a configuration unsafe to expose (Django's --deploy)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask.helpers import get_debug_flag

from .config import DEV_SECRET_KEY, ConfigError

MIN_SECRET_KEY_LENGTH = 32
LOOPBACK = ("localhost", "127.0.0.1", "::1")  # hosts a plain-http SITE_URL may name
# The value shipped in .env.example; a test keeps the two in step.
EXAMPLE_SECRET_KEY = "replace-me-with-the-output-of-python-c-secrets-token-hex-32"
# Keys published in this repository or in every tutorial: sessions signed with one can be
# forged by anyone, whatever its length.
KNOWN_SECRET_KEYS = frozenset(
    {DEV_SECRET_KEY, EXAMPLE_SECRET_KEY, "test-secret-key", "secret", "secret-key",
     "changeme", "change-me", "dev", "development", "your-secret-key", "supersecret"}
)  # fmt: skip

# Where the cache and the limiter find Redis. The one place to adjust if the caching or
# throttling settings are renamed: a URL, or Sentinel/Cluster nodes plus a password.
REDIS_URL_KEY = "REDIS_URL"
REDIS_NODES_KEYS = ("REDIS_SENTINELS", "REDIS_CLUSTER")
REDIS_PASSWORD_KEY = "REDIS_PASSWORD"
LIMITER_REDIS_URL_KEY = "LIMITER_REDIS_URL"  # the limiter's own Redis (default: the above)


def secret_key_problems(key: Any) -> list[str]:
    """Return what is wrong with ``SECRET_KEY``."""
    if not key:
        return ["SECRET_KEY is not set."]
    key = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    if key in KNOWN_SECRET_KEYS:
        return ["SECRET_KEY is a published example value; generate a new one."]
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return [f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters."]
    if len(set(key)) < 8:
        return ["SECRET_KEY does not look random (too few distinct characters)."]
    return []


def site_url_problems(url: Any) -> list[str]:
    """Return what is wrong with ``SITE_URL``, the origin of every absolute URL."""
    if not url:
        return [
            "BLOGSITE_SITE_URL is not set (https://blog.example.com): feeds and sitemaps "
            "take their absolute URLs from each request's Host."
        ]
    # Plain http is fine only on this machine (a trial run of compose on localhost).
    if urlsplit(str(url)).scheme != "https" and urlsplit(str(url)).hostname not in LOOPBACK:
        return ["BLOGSITE_SITE_URL is not https: feeds and sitemaps would link over HTTP."]
    return []


def url_has_password(url: str) -> bool:
    """Return whether a Redis URL carries a password (user info or ``?password=``)."""
    parts = urlsplit(url)
    return bool(parts.password or parse_qs(parts.query).get("password", [""])[0])


def redis_problems(config: Mapping[str, Any]) -> list[str]:
    """Return what is wrong with the Redis that the cache and the limiter share."""
    nodes = [key for key in REDIS_NODES_KEYS if config.get(key)]
    url = config.get(REDIS_URL_KEY)
    if not nodes and not url:
        return [
            "Redis is not configured (REDIS_URL or BLOGSITE_REDIS_SENTINELS): the cache and "
            "the rate limits live in each process, so workers neither share nor agree."
        ]
    if nodes:
        if config.get(REDIS_PASSWORD_KEY):
            return []
        return [f"BLOGSITE_{nodes[0]} is set without BLOGSITE_{REDIS_PASSWORD_KEY}."]
    if not url_has_password(str(url)):
        return ["REDIS_URL has no password (redis://:PASSWORD@host:6379/0)."]
    return []


def limiter_redis_problems(config: Mapping[str, Any]) -> list[str]:
    """Return what is wrong with the limiter's own Redis, when it has one."""
    url = config.get(LIMITER_REDIS_URL_KEY)
    if url and not url_has_password(str(url)):
        return ["BLOGSITE_LIMITER_REDIS_URL has no password (redis://:PASSWORD@host:6379/0)."]
    return []


def deploy_problems(app: Flask) -> list[str]:
    """Return every reason this app's configuration is unsafe in production."""
    config = app.config
    problems = secret_key_problems(config.get("SECRET_KEY"))
    if app.debug or get_debug_flag():
        problems.append("Debug mode is on (FLASK_DEBUG): tracebacks and the debugger are exposed.")
    if config.get("TESTING"):
        problems.append("TESTING is on: errors propagate and protections are relaxed.")
    for cookie in ("SESSION", "REMEMBER"):
        if not config.get(f"{cookie}_COOKIE_SECURE"):
            problems.append(f"{cookie}_COOKIE_SECURE is off (set BLOGSITE_SECURE_COOKIES=1).")
        if not config.get(f"{cookie}_COOKIE_HTTPONLY"):
            problems.append(f"{cookie}_COOKIE_HTTPONLY is off.")
        if str(config.get(f"{cookie}_COOKIE_SAMESITE")).lower() not in ("lax", "strict"):
            problems.append(f"{cookie}_COOKIE_SAMESITE is not Lax or Strict.")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("The database is SQLite; set DATABASE_URL to PostgreSQL.")
    problems.extend(redis_problems(config))
    problems.extend(limiter_redis_problems(config))
    if not config.get("TRUSTED_HOSTS"):
        problems.append("BLOGSITE_ALLOWED_HOSTS is not set (comma-separated host names).")
    problems.extend(site_url_problems(config.get("SITE_URL")))
    if not config.get("MAX_CONTENT_LENGTH"):
        problems.append("MAX_CONTENT_LENGTH is unset: request bodies are unbounded.")
    return problems


def report(problems: list[str]) -> int:
    """Print the problems (or that there are none); return the exit status."""
    if not problems:
        click.echo("check-deploy: no problems found.")
        return 0
    click.echo(f"check-deploy: {len(problems)} problem(s) make this deployment unsafe:", err=True)
    for problem in problems:
        click.echo(f"  - {problem}", err=True)
    return 1


@click.command("check-deploy")
@with_appcontext
def check_deploy_command() -> None:
    """Check the configuration for production; exit 1 with a list of problems."""
    sys.exit(report(deploy_problems(current_app)))


def main() -> None:
    """Run the check even when the app refuses to start (the container's entry point)."""
    from . import create_app

    try:
        app = create_app()
    except ConfigError as error:
        sys.exit(report([str(error)]))
    sys.exit(report(deploy_problems(app)))
