"""Settings of the site itself: its address, sizes, secrets and security headers."""

from __future__ import annotations

from dataclasses import dataclass

from .. import parsers as p
from .spec import setting

# The public site runs no inline script or style at all, so its policy can be strict.
SITE_CSP = (
    "default-src 'self'; img-src 'self' https: data:; script-src 'self'; style-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)
# The console's: a per-request nonce and the hashes of a few inline handlers (security.py).
ADMIN_CSP = (
    "default-src 'self'; img-src 'self' https: data:; "
    "script-src 'self' 'nonce-{nonce}' 'unsafe-hashes' {hashes}; "
    "style-src 'self' 'nonce-{nonce}'; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


@dataclass(frozen=True)
class Site:
    """Core and security settings."""

    # Core
    SECRET_KEY: str | None = setting(
        None,
        "Signs sessions and CSRF tokens: at least 32 random characters; required outside debug and"
        " testing.",
        env="SECRET_KEY",
        example="replace-me-with-the-output-of-python-c-secrets-token-hex-32",
        required=True,
    )
    ALLOWED_HOSTS: str | None = setting(
        None,
        "Host names the site answers to, comma-separated (a leading dot allows subdomains); any "
        "other Host gets a 400 page.",
        parse=p.optional(p.hosts),
        example="localhost,127.0.0.1",
        required=True,
    )
    SITE_URL: str | None = setting(
        None,
        "The site's address (scheme, host, port; no path): the one origin of absolute URLs in "
        "feeds, sitemaps, robots.txt and pages' canonical and sharing links; unset, they follow "
        "each request.",
        parse=p.site_url,
        example="http://localhost:8080",
        required=True,
    )
    SQLALCHEMY_DATABASE_URI: str | None = setting(
        None,
        "SQLAlchemy URL of the database; postgresql:// uses psycopg 3.",
        env="DATABASE_URL",
        shown="sqlite:///instance/blogsite.sqlite",
        example="postgresql://blogsite:PASSWORD@127.0.0.1:5432/blogsite",
    )
    SITE_NAME: str = setting("blogsite", "Site title in pages, the feed and the console.")
    SITE_DESCRIPTION: str = setting(
        "A blog about everything.",
        "What the site is about, in one sentence: the home page's meta description and the "
        "web app manifest's.",
    )
    BLOGS_PER_PAGE: int = setting(
        10, "Blogs per listing page (home, author, tag, throttle pages).", parse=p.whole(1)
    )
    FEED_SIZE: int = setting(20, "Entries in the Atom feed.", parse=p.whole(1))
    TIMEZONE: str = setting(
        "UTC",
        "IANA time zone in which writers enter and read a scheduled publication time.",
        parse=p.time_zone,
    )
    SITEMAP_MAX_URLS: int = setting(
        50_000,
        "URLs per sitemap (the sitemaps.org limit); a bigger site gets /sitemap.xml as an index.",
        parse=p.whole(1),
    )
    SEARCH_TIMEOUT_MS: int = setting(
        200,
        "Longest a search may run in milliseconds before the reader is asked for other words; "
        "0: no limit.",
        parse=p.whole(0),
    )
    # Security, proxies
    TRUSTED_PROXIES: int = setting(
        0,
        "Proxies in front whose X-Forwarded-For/-Proto are trusted (0: the client is the peer "
        "address).",
        parse=p.whole(0),
    )
    SECURE_COOKIES: bool | None = setting(
        None,
        "Secure flag on the session and remember-me cookies.",
        parse=p.optional(p.flag),
        shown="1 outside debug and testing",
    )
    HSTS_MAX_AGE: int = setting(
        365 * 24 * 3600,
        "Strict-Transport-Security max-age in seconds, sent on HTTPS requests only; 0 sends none.",
        parse=p.whole(0),
    )
    MAX_CONTENT_LENGTH: int | None = setting(
        1024 * 1024, "Largest request body in bytes: 413 beyond.", parse=p.optional(p.whole(1))
    )
    MAX_FORM_MEMORY_SIZE: int | None = setting(
        256 * 1024, "Largest form field in bytes: 413 beyond.", parse=p.optional(p.whole(1))
    )
    MAX_FORM_PARTS: int | None = setting(
        500, "Most fields in one form: 413 beyond.", parse=p.optional(p.whole(1))
    )
    CONTENT_SECURITY_POLICY: str = setting(
        SITE_CSP,
        "Content-Security-Policy of the site (e.g. to allow an analytics origin).",
        shown="strict: self only, no inline code",
    )
    ADMIN_CONTENT_SECURITY_POLICY: str = setting(
        ADMIN_CSP,
        "Content-Security-Policy of the console; {nonce} and {hashes} are filled in per request.",
        shown="self, nonced inline scripts",
    )
    ADMIN_URL_PREFIX: str = setting(
        "/admin/",
        "Path of the admin console, which gets the console's policy and no-store.",
        parse=p.url_prefix,
    )
