"""The README's settings table and ``.env.example``, written from the declarations."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from . import declared
from .spec import render


@dataclass(frozen=True)
class Outside:
    """A variable read before the app exists: by compose, gunicorn or the entry point."""

    env: str
    default: str
    help: str
    section: str
    required: bool = False


OUTSIDE = (
    Outside(
        "BLOGSITE_HTTP_PORT",
        "8080",
        "Host port nginx listens on (compose; the only published port).",
        "Core",
    ),
    Outside(
        "FLASK_DEBUG",
        "0",
        "Never set in production: debug mode exposes the debugger (check-deploy rejects it).",
        "Core",
    ),
    Outside(
        "BLOGSITE_ALLOW_UNSAFE",
        "0",
        "Start the container even when check-deploy finds problems (for a trial run only).",
        "Core",
    ),
    Outside(
        "AWS_ACCESS_KEY_ID",
        "",
        "S3 storage: the access key (boto3 also reads AWS_DEFAULT_REGION); compose.s3.yaml "
        "gives SeaweedFS the same pair.",
        "Pictures",
    ),
    Outside("AWS_SECRET_ACCESS_KEY", "", "S3 storage: the secret key; hex only.", "Pictures"),
    Outside(
        "POSTGRES_USER",
        "blogsite",
        "compose: user of the postgres:17 service (DATABASE_URL is built from these).",
        "Database",
    ),
    Outside(
        "POSTGRES_PASSWORD",
        "",
        "compose: password of the postgres:17 service.",
        "Database",
        required=True,
    ),
    Outside("POSTGRES_DB", "blogsite", "compose: database of the postgres:17 service.", "Database"),
    Outside(
        "REDIS_PASSWORD",
        "",
        "compose: password of its Redis services (REDIS_URL is built from it); hex only.",
        "Redis",
        required=True,
    ),
    Outside(
        "REDIS_MAXMEMORY",
        "256mb",
        "compose: memory of the cache's Redis; when full the least recently used key goes.",
        "Redis",
    ),
    Outside(
        "LIMITER_REDIS_MAXMEMORY",
        "64mb",
        "compose: memory of limiter-redis, the counters' own Redis, which never evicts.",
        "Redis",
    ),
    Outside(
        "BLOGSITE_SUPERUSER_PHONE_NO",
        "",
        "Superuser that create-superuser --noinput (and the container on start) creates.",
        "Superuser",
    ),
    Outside(
        "BLOGSITE_SUPERUSER_PASSWORD",
        "",
        "That superuser's password (it must pass the password rules).",
        "Superuser",
    ),
    Outside("BLOGSITE_SUPERUSER_EMAIL", "", "That superuser's e-mail address.", "Superuser"),
    Outside("GUNICORN_WORKERS", "2", "Processes per web container.", "Gunicorn"),
    Outside(
        "GUNICORN_THREADS",
        "4",
        "Threads per process; each may hold a database connection.",
        "Gunicorn",
    ),
    Outside("GUNICORN_TIMEOUT", "30", "Seconds before a stuck worker is killed.", "Gunicorn"),
    Outside(
        "GUNICORN_GRACEFUL_TIMEOUT", "20", "Seconds requests in flight get on shutdown.", "Gunicorn"
    ),
    Outside(
        "GUNICORN_KEEPALIVE", "5", "Seconds an idle keep-alive connection stays open.", "Gunicorn"
    ),
    Outside(
        "GUNICORN_MAX_REQUESTS",
        "0",
        "Recycle a worker after this many requests (0: never).",
        "Gunicorn",
    ),
    Outside("GUNICORN_BIND", "0.0.0.0:8000", "Address gunicorn listens on.", "Gunicorn"),
    Outside(
        "NO_COLOR",
        "",
        "Set (to anything) to keep console log lines free of colour codes.",
        "Logging, monitoring",
    ),
    Outside(
        "PROMETHEUS_MULTIPROC_DIR",
        "",
        "A writable, empty directory shared by the workers so /metrics sums them all.",
        "Logging, monitoring",
    ),
)
SECTION_ORDER = ("Core", "Database", "Security, proxies", "Superuser", "Redis", "Caching",
                 "Pictures", "Throttling", "Gunicorn", "Logging, monitoring")  # fmt: skip
ENV_HEADER = """\
# blogsite settings, written by `python -m blogsite.settings env` from blogsite/settings/:
# edit the declarations there, not this file. Copy to .env, fill in every empty value, then:
#   docker compose --env-file .env up --detach
# A commented-out variable is optional and shows its default (or an example when it has
# none). Generate secrets with:
#   python3 -c "import secrets; print(secrets.token_hex(32))"
# (hex only: passwords go into URLs, where @ / : would need escaping.)
# The container runs `flask check-deploy` first and refuses to start on any problem.
"""


@dataclass(frozen=True)
class Row:
    """One variable as both documents show it."""

    section: str
    env: str
    default: str  # as the README writes it
    value: str  # what .env.example shows after the = sign
    help: str
    required: bool


def rows() -> list[Row]:
    """Return every variable, the declared settings and those read outside the app."""
    found = []
    for d in declared():
        raw = "" if d.spec.shown is not None else render(d.default)
        value = d.spec.example if d.spec.example is not None else raw
        help_ = d.spec.help + (f" Default: {d.spec.shown}." if d.spec.shown else "")
        default = d.documented_default()
        found.append(Row(d.section, d.env, default, value, help_, d.spec.required))
    for o in OUTSIDE:
        found.append(Row(o.section, o.env, o.default, o.default, o.help, o.required))
    return sorted(found, key=lambda row: SECTION_ORDER.index(row.section))


def table() -> str:
    """Return the README's settings table (markdown)."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for row in rows():
        shown = f"`{row.default}`" if row.default else "unset"
        lines.append(f"| `{row.env}` | {shown} | {row.help} |")
    return "\n".join(lines) + "\n"


def env_file() -> str:
    """Return ``.env.example``."""
    out, section = [ENV_HEADER], ""
    for row in rows():
        if row.section != section:
            section = row.section
            out.append(f"\n# {'-' * (78 - len(section))} {section}\n")
        out.extend(f"# {line}\n" for line in textwrap.wrap(row.help, 86))
        line = f"{row.env}={row.value}\n"
        out.append(line if row.required else "# " + line)
    return "".join(out)
