"""blogsite: a server-rendered blog, fast under load, safe against abuse."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from . import (
    admin,
    caching,
    commands,
    liveness,
    logs,
    media,
    pipeline,
    search,
    security,
    throttling,
)
from .auth import sessions as auth_sessions
from .config import load_config
from .domain import publishing, tag_copies
from .errors import register_error_handlers
from .extensions import db, migrate
from .templating import register_template_helpers


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the blogsite application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    load_config(app, test_config)

    logs.init_app(app)
    db.init_app(app)
    liveness.init_app(app)
    tag_copies.listen()
    publishing.listen()
    search.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(app.root_path, "..", "migrations"),
        include_name=search.schema.include_name,  # the search index is no model
    )
    auth_sessions.init_app(app)
    throttling.init_app(app)
    caching.init_app(app)
    security.init_app(app)
    media.init_app(app)
    # Every request hook and signal, in the order a request meets them: read pipeline.py.
    pipeline.register(app)

    from . import auth, blog

    app.register_blueprint(blog.bp)
    app.register_blueprint(auth.bp)
    admin.init_app(app)
    commands.register_commands(app)
    register_error_handlers(app)
    register_template_helpers(app)
    return app
