"""The admin console: flask-admin for staff under ``ADMIN_URL_PREFIX``, built per application."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from .. import security
from .audit import AuditEntry
from .auth import ConsoleHome
from .ops import CacheView, ThrottlingView
from .users import UserView
from .views import AuditView, AuthorView, BlogView, CoverImageView, TagView

__all__ = ["AuditEntry", "init_app"]


def init_app(app: Flask) -> Admin:
    """Build the console for ``app`` (never at import: each app needs its own views)."""
    base = app.config["ADMIN_URL_PREFIX"].rstrip("/")  # "/admin/" -> "/admin"
    admin = Admin(
        app,
        name=f"{app.config['SITE_NAME']} admin",
        url=base,
        index_view=ConsoleHome(name="Home", url=base, endpoint="admin"),
        theme=Bootstrap4Theme(base_template="admin/site_base.html", fluid=True),
        # The production issue's Content-Security-Policy may hand out a nonce.
        csp_nonce_generator=getattr(security, "csp_nonce", None),
    )
    # Endpoints carry an ``admin_`` prefix: "blog" and "auth" are the site's blueprints.
    admin.add_view(BlogView(name="Blogs", endpoint="admin_blogs", url=f"{base}/blogs"))
    admin.add_view(AuthorView(name="Authors", endpoint="admin_authors", url=f"{base}/authors"))
    admin.add_view(TagView(name="Tags", endpoint="admin_tags", url=f"{base}/tags"))
    admin.add_view(
        CoverImageView(name="Cover images", endpoint="admin_covers", url=f"{base}/cover-images")
    )
    admin.add_view(UserView(name="Users", endpoint="admin_users", url=f"{base}/users"))
    admin.add_view(AuditView(name="Audit log", endpoint="admin_audit", url=f"{base}/audit"))
    admin.add_view(CacheView(name="Cache", endpoint="admin_cache", url=f"{base}/cache"))
    admin.add_view(
        ThrottlingView(name="Throttling", endpoint="admin_throttling", url=f"{base}/throttling")
    )
    return admin
