"""``flask check-deploy``: a good production configuration passes, each unsafe one fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blogsite import create_app
from blogsite.config import DEV_SECRET_KEY
from blogsite.deploy_check import KNOWN_SECRET_KEYS

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4"
GOOD = {
    "SECRET_KEY": GOOD_KEY,
    "SQLALCHEMY_DATABASE_URI": "postgresql://blogsite:pw@db:5432/blogsite",
    "REDIS_URL": "redis://:s3cret@redis:6379/0",
    "ALLOWED_HOSTS": "blog.example.com",
    "SITE_URL": "https://blog.example.com",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Only the settings each test gives: none from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(("BLOGSITE_", "FLASK_")) or name in (
            "SECRET_KEY", "DATABASE_URL", "REDIS_URL"
        ):  # fmt: skip
            monkeypatch.delenv(name)


def check(**changes):
    """Run ``flask check-deploy`` on the good configuration with ``changes``."""
    app = create_app({**GOOD, **changes})
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    return result.exit_code, result.output


def test_a_good_configuration_passes():
    code, output = check()
    assert code == 0, output
    assert "no problems found" in output


def test_sentinel_with_a_password_passes():
    code, output = check(
        REDIS_URL=None, REDIS_SENTINELS="s1:26379,s2:26379,s3:26379", REDIS_PASSWORD="pw"
    )
    assert code == 0, output


@pytest.mark.parametrize(
    ("changes", "message", "count"),
    [({"SECRET_KEY": "short-but-random-9f2c4e"}, "shorter than 32", 1),
     ({"SECRET_KEY": DEV_SECRET_KEY}, "published example value", 1),
     ({"SECRET_KEY": "test-secret-key"}, "published example value", 1),
     ({"SECRET_KEY": "a" * 20 + "b" * 20}, "does not look random", 1),
     # TESTING also turns secure cookies off by default: three problems.
     ({"TESTING": True}, "TESTING is on", 3),
     ({"SECURE_COOKIES": False}, "SESSION_COOKIE_SECURE is off", 2),
     ({"SECURE_COOKIES": False}, "REMEMBER_COOKIE_SECURE is off", 2),
     ({"SESSION_COOKIE_HTTPONLY": False}, "SESSION_COOKIE_HTTPONLY is off", 1),
     ({"REMEMBER_COOKIE_SAMESITE": None}, "REMEMBER_COOKIE_SAMESITE is not Lax", 1),
     ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/blog.sqlite"}, "SQLite", 1),
     ({"REDIS_URL": None}, "Redis is not configured", 1),
     ({"REDIS_URL": "redis://redis:6379/0"}, "REDIS_URL has no password", 1),
     ({"REDIS_URL": "redis://user@redis:6379/0"}, "REDIS_URL has no password", 1),
     ({"REDIS_URL": None, "REDIS_SENTINELS": "s1:26379"}, "without BLOGSITE_REDIS_PASSWORD", 1),
     ({"LIMITER_REDIS_URL": "redis://limiter:6379/0"}, "LIMITER_REDIS_URL has no password", 1),
     ({"ALLOWED_HOSTS": None}, "BLOGSITE_ALLOWED_HOSTS is not set", 1),
     ({"ALLOWED_HOSTS": "*"}, "BLOGSITE_ALLOWED_HOSTS is not set", 1),
     ({"MAX_CONTENT_LENGTH": None}, "MAX_CONTENT_LENGTH is unset", 1),
     ({"SITE_URL": None}, "BLOGSITE_SITE_URL is not set", 1),
     ({"SITE_URL": ""}, "BLOGSITE_SITE_URL is not set", 1),
     ({"SITE_URL": "http://blog.example.com"}, "BLOGSITE_SITE_URL is not https", 1)],
)  # fmt: skip
def test_each_unsafe_setting_fails_with_its_reason(changes, message, count):
    code, output = check(**changes)
    assert code == 1
    assert message in output
    assert f"{count} problem(s)" in output  # the rest of the configuration is good


def test_debug_mode_fails(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    code, output = check(SECURE_COOKIES=True)
    assert code == 1
    assert "Debug mode is on" in output and "1 problem(s)" in output


def test_all_problems_are_listed_at_once():
    code, output = check(
        SECRET_KEY=DEV_SECRET_KEY, SECURE_COOKIES=False, SQLALCHEMY_DATABASE_URI="sqlite://",
        REDIS_URL=None, ALLOWED_HOSTS=None,
    )  # fmt: skip
    assert code == 1
    for message in ("published example", "COOKIE_SECURE", "SQLite", "Redis", "ALLOWED_HOSTS"):
        assert message in output


@pytest.mark.parametrize(
    "url", ["redis://:pw@h:6379/0", "rediss://u:pw@h/0", "redis://h/0?password=pw"]
)
def test_redis_passwords_are_found_in_every_url_form(url):
    code, output = check(REDIS_URL=url)
    assert code == 0, output


def test_env_example_secret_key_is_rejected():
    lines = (ROOT / ".env.example").read_text().splitlines()
    value = next(line.split("=", 1)[1] for line in lines if line.startswith("SECRET_KEY="))
    assert len(value) >= 32  # long enough that only the known-value check catches it
    assert value in KNOWN_SECRET_KEYS
    code, output = check(SECRET_KEY=value)
    assert code == 1 and "published example value" in output


def run_main(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the container's check (``deploy_check.main``) in a fresh interpreter."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BLOGSITE_", "FLASK_"))}
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        base.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", "from blogsite.deploy_check import main; main()"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_container_check_reports_a_missing_secret_key_without_a_traceback():
    result = run_main({})
    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_container_check_passes_a_good_environment():
    result = run_main(
        {"SECRET_KEY": GOOD_KEY, "DATABASE_URL": GOOD["SQLALCHEMY_DATABASE_URI"],
         "REDIS_URL": GOOD["REDIS_URL"], "BLOGSITE_ALLOWED_HOSTS": "blog.example.com",
         "BLOGSITE_SITE_URL": GOOD["SITE_URL"]}
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no problems found" in result.stdout


@pytest.mark.parametrize("url", ["http://localhost:8080", "http://127.0.0.1", "http://[::1]:80"])
def test_plain_http_site_url_passes_only_on_this_machine(url):
    code, output = check(SITE_URL=url)
    assert code == 0, output


def test_container_check_reports_a_bad_site_url_without_a_traceback():
    result = run_main({"SECRET_KEY": GOOD_KEY, "BLOGSITE_SITE_URL": "https://blog.example.com/x"})
    assert result.returncode == 1
    assert "BLOGSITE_SITE_URL must be the site's address" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
