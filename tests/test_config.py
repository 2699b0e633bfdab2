"""Configuration order, the secret key guard and database URLs."""

from __future__ import annotations

import pytest

from blogsite import create_app
from blogsite.config import ConfigError, database_url


def test_refuses_to_start_without_secret_key_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_environment_then_prefixed_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/blog")
    monkeypatch.setenv("BLOGSITE_BLOGS_PER_PAGE", "20")
    monkeypatch.setenv("BLOGSITE_SECURE_COOKIES", "0")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/blog"
    assert app.config["BLOGS_PER_PAGE"] == 20
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_production_cookies_are_secure_by_default(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/blogsite.sqlite")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("postgresql://a@b/c", "postgresql+psycopg://a@b/c"),
     ("sqlite:///x.db", "sqlite:///x.db"),
     ("postgresql+psycopg://a@b/c", "postgresql+psycopg://a@b/c")],
)  # fmt: skip
def test_database_url_uses_psycopg3(given, expected):
    assert database_url(given) == expected


@pytest.mark.parametrize("value", ["0", "-5", "lots", "2.5", "true"])
@pytest.mark.parametrize("name", ["BLOGS_PER_PAGE", "FEED_SIZE", "SITEMAP_MAX_URLS"])
def test_sizes_must_be_whole_numbers_of_at_least_one(monkeypatch, name, value):
    """A page or sitemap size of 0 or a word would be a 500 on every page: refuse to start."""
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv(f"BLOGSITE_{name}", value)
    with pytest.raises(ConfigError, match=f"BLOGSITE_{name} must be a whole number"):
        create_app()
