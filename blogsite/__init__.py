"""blogsite: a server-rendered blog, fast under load, safe against abuse."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from . import admin, caching, commands, guard, logs, security, throttling
from .auth import sessions as auth_sessions
from .config import load_config
from .errors import register_error_handlers
from .extensions import csrf, db, login_manager, migrate
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
    # First after the request is bound for logging: nothing (the CSRF check, the limiter's
    # key functions, the page cache, a view) may read input the guard has not checked.
    guard.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    login_manager.init_app(app)
    # Before CSRFProtect: an ended session is emptied first, so its CSRF token is refused.
    auth_sessions.init_app(app)
    csrf.init_app(app)
    # The limiter's before_request must run before the page cache answers, so that
    # a cached page still counts against a throttle.
    throttling.init_app(app)
    caching.init_app(app)
    security.init_app(app)

    from . import auth, blog

    app.register_blueprint(blog.bp)
    app.register_blueprint(auth.bp)
    admin.init_app(app)
    commands.register_commands(app)
    register_error_handlers(app)
    register_template_helpers(app)
    return app
