"""The admin console: flask-admin for staff under ``ADMIN_URL_PREFIX``, built per application."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from flask_admin import Admin, BaseView
from flask_admin.model import BaseModelView
from flask_admin.theme import Bootstrap4Theme

from .. import media, security
from .audit import AuditEntry
from .auth import ConsoleHome
from .covers import CoverImageView
from .ops import CacheView, ThrottlingView
from .users import UserView
from .views import AuditView, AuthorView, BlogView, TagView

__all__ = ["AuditEntry", "init_app", "inline_handlers"]

# The inline handlers of flask-admin 2.2's own templates: admin/actions.html (the "With
# selected" menu, one per bulk action) and admin/model/row_actions.html (a row's delete
# button; the console is not translated, so its question is flask-admin's English one).
# tests/test_security.py checks that every handler a console page carries is allowed.
BULK_ACTION = "return modelActions.execute('{}');"
ROW_DELETE = "return faHelpers.safeConfirm('Are you sure you want to delete this record?');"


def inline_handlers(views: Iterable[BaseView]) -> set[str]:
    """Return the inline handlers that the list pages of ``views`` render."""
    handlers: set[str] = set()
    for view in views:
        if isinstance(view, BaseModelView):
            actions, _confirmations = view.get_actions_list()
            handlers.update(BULK_ACTION.format(name) for name, _text in actions)
            if view.can_delete:
                handlers.add(ROW_DELETE)
    return handlers


def init_app(app: Flask) -> Admin:
    """Build the console for ``app`` (never at import: each app needs its own views)."""
    base = app.config["ADMIN_URL_PREFIX"].rstrip("/")  # "/admin/" -> "/admin"
    admin = Admin(
        app,
        name=f"{app.config['SITE_NAME']} admin",
        url=base,
        index_view=ConsoleHome(name="Home", url=base, endpoint="admin"),
        theme=Bootstrap4Theme(base_template="admin/site_base.html", fluid=True),
        # flask-admin's inline <script> blocks carry this request's nonce.
        csp_nonce_generator=security.csp_nonce,
    )
    # Endpoints carry an ``admin_`` prefix: "blog" and "auth" are the site's blueprints.
    views: list[BaseView] = [
        BlogView(name="Blogs", endpoint="admin_blogs", url=f"{base}/blogs"),
        AuthorView(name="Authors", endpoint="admin_authors", url=f"{base}/authors"),
        TagView(name="Tags", endpoint="admin_tags", url=f"{base}/tags"),
        CoverImageView(name="Cover images", endpoint="admin_covers", url=f"{base}/cover-images"),
        UserView(name="Users", endpoint="admin_users", url=f"{base}/users"),
        AuditView(name="Audit log", endpoint="admin_audit", url=f"{base}/audit"),
        CacheView(name="Cache", endpoint="admin_cache", url=f"{base}/cache"),
        ThrottlingView(name="Throttling", endpoint="admin_throttling", url=f"{base}/throttling"),
    ]
    admin.add_views(*views)
    media.accept_uploads(app, "admin_covers.create_view", "admin_covers.edit_view")
    # Its own templates run under the console's policy: their handlers are allowed by hash.
    security.allow_admin_handlers(app, inline_handlers(views))
    return admin
