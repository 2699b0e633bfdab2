"""Bare extension instances, bound to the app in ``create_app`` with ``init_app``.

The limiter is not here: each app has its own (``throttling.limiter``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_caching import Cache
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic can alter and drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as FlaskModel

    class Model(FlaskModel, Base):
        """``db.Model`` as mypy can subclass it (an attribute cannot be a base: mypy#8603)."""

else:
    Model = db.Model  # Flask-SQLAlchemy's Model mixins on our Base
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
cache = Cache()
