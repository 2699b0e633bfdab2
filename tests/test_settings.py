"""The settings object: docs written from it, and each setting changes what the site does."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from blogsite import create_app
from blogsite.config import ConfigError
from blogsite.settings import Settings, declared
from blogsite.settings.docs import OUTSIDE, env_file, table

ROOT = Path(__file__).resolve().parent.parent
# Variables of the test harness, documented in the README's testing section only.
TEST_HARNESS = {"BLOGSITE_TEST_PRIVATE_SERVERS"}
BEHAVIOUR_TESTS = Path(__file__).with_name("settings_coverage.py")


def known_variables() -> set[str]:
    return {item.env for item in declared()} | {item.env for item in OUTSIDE}


def test_env_example_is_written_from_the_settings():
    """Run `python -m blogsite.settings env > .env.example` after changing a declaration."""
    assert (ROOT / ".env.example").read_text() == env_file()


def test_readme_table_is_written_from_the_settings():
    """Paste `python -m blogsite.settings table` between the README's markers."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- settings table:")
    block = readme[readme.index("\n", start) + 1 : readme.index("<!-- end of settings table -->")]
    assert block == table()


@pytest.mark.parametrize("document", ["README.md", ".env.example", "docs/architecture.md"])
def test_no_documented_variable_is_unknown(document):
    path = ROOT / document
    if not path.exists():
        pytest.skip(f"{document} is not there yet")
    named = set(re.findall(r"\bBLOGSITE_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    # "BLOGSITE_SUPERUSER_*" and "BLOGSITE_CACHE_*" name groups, not variables.
    named = {name for name in named if not name.endswith("_")}
    assert named - known_variables() - TEST_HARNESS == set()


def test_every_setting_lands_in_app_config_and_the_object():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    settings: Settings = app.extensions["settings"]
    for item in declared():
        assert getattr(settings, item.name) == app.config[item.name], item.name


def test_the_environment_is_read_raw_and_blank_means_unset(monkeypatch):
    monkeypatch.setenv("BLOGSITE_SENTRY_RELEASE", "1.20")  # JSON would make it 1.2
    monkeypatch.setenv("BLOGSITE_LOG_FILE", "")  # compose passes unset variables as blank
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SENTRY_RELEASE"] == "1.20"
    assert app.config["LOG_FILE"] is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("REDIS_SOCKET_TIMEOUT", "fast", "BLOGSITE_REDIS_SOCKET_TIMEOUT must be a number"),
     ("CACHE_ENABLED", "maybe", "BLOGSITE_CACHE_ENABLED must be 1 or 0"),
     ("MAX_CONTENT_LENGTH", "0", "BLOGSITE_MAX_CONTENT_LENGTH must be a whole number"),
     ("SENTRY_TRACES_SAMPLE_RATE", "2", "BLOGSITE_SENTRY_TRACES_SAMPLE_RATE must be a number"),
     ("RATELIMIT_STRATEGY", "fixed", "BLOGSITE_RATELIMIT_STRATEGY must be one of"),
     ("CACHE_KEY_PREFIX", " ", "BLOGSITE_CACHE_KEY_PREFIX must not be empty"),
     ("TIMEZONE", "Mars/Olympus", "BLOGSITE_TIMEZONE must be an IANA time zone")],
)  # fmt: skip
def test_bad_values_stop_the_start_naming_the_variable(monkeypatch, name, value, message):
    """Values no module used to check (timeouts, sizes, switches) are checked at start-up."""
    monkeypatch.setenv(f"BLOGSITE_{name}", value)
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_every_named_behaviour_test_uses_its_setting():
    """settings_coverage.COVERAGE names, for each variable, a test that shows it working."""
    from tests.settings_coverage import COVERAGE

    assert set(COVERAGE) == known_variables()
    for variable, nodeid in COVERAGE.items():
        if nodeid is None:
            continue
        file, _, name = nodeid.partition("::")
        text = (ROOT / file).read_text()
        [test] = [n for n in ast.walk(ast.parse(text)) if getattr(n, "name", None) == name]
        source = ast.get_source_segment(text, test) or ""
        key = variable.removeprefix("BLOGSITE_")
        assert key in source or variable in source, f"{nodeid} does not use {variable}"


def test_every_setting_has_a_behaviour_test():
    """Each documented variable names a test that shows it changing what the site does."""
    from tests.settings_coverage import COVERAGE

    assert [name for name, test in COVERAGE.items() if test is None] == []


# --- Behaviour of settings no other test covered ---------------------------------------


def listing_titles(body: str) -> list[str]:
    return re.findall(r"Post number \d+", body)


def test_blogs_per_page_sets_the_cards_on_a_page(app_config: dict[str, Any], make_blog: Any):
    app_config["BLOGS_PER_PAGE"] = 3
    for number in range(5):
        make_blog(f"Post number {number}", tags=["t"])
    app = create_app(app_config)
    client = app.test_client()
    assert len(listing_titles(client.get("/").text)) == 3
    assert len(listing_titles(client.get("/?page=2").text)) == 2
    assert len(listing_titles(client.get("/tag/t/").text)) == 3
    assert client.get("/?page=3").status_code == 404


def test_feed_size_sets_the_entries_in_the_feed(app_config: dict[str, Any], make_blog: Any):
    app_config["FEED_SIZE"] = 2
    for number in range(4):
        make_blog(f"Post number {number}")
    body = create_app(app_config).test_client().get("/feed.xml").text
    assert body.count("<entry>") == 2


def test_site_name_titles_the_pages(app_config: dict[str, Any]):
    app_config["SITE_NAME"] = "Kitchen notes"
    assert "Kitchen notes" in create_app(app_config).test_client().get("/").text


def test_content_security_policy_replaces_the_sites(app_config: dict[str, Any]):
    app_config["CONTENT_SECURITY_POLICY"] = "default-src 'self' https://stats.example"
    response = create_app(app_config).test_client().get("/")
    assert response.headers["Content-Security-Policy"] == "default-src 'self' https://stats.example"
