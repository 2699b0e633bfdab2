"""The public pages and, for writers, the authoring pages."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

from ..extensions import db
from ..media import accept_uploads
from . import page_marks_schema

bp = Blueprint("blog", __name__)
UPLOADS = ("blog.new", "blog.edit", "blog.upload_image")


@bp.record_once
def _accept_uploads(state: BlueprintSetupState) -> None:
    accept_uploads(
        cast(Flask, state.app), *UPLOADS
    )  # bodies as big as a picture, on these pages only


@bp.record_once
def _build_page_marks(state: BlueprintSetupState) -> None:
    page_marks_schema.listen(db.metadata)  # create_all builds their triggers too


from . import assets, editor, feeds, images, original, search, sitemaps, views  # noqa: E402,F401  (register the routes on bp)
