"""The public pages and, for writers, the authoring pages."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

from ..media import accept_uploads

bp = Blueprint("blog", __name__)
UPLOADS = ("blog.new", "blog.edit", "blog.upload_image")


@bp.record_once
def _accept_uploads(state: BlueprintSetupState) -> None:
    accept_uploads(
        cast(Flask, state.app), *UPLOADS
    )  # bodies as big as a picture, on these pages only


from . import assets, editor, feeds, images, original, search, sitemaps, views  # noqa: E402,F401  (register the routes on bp)
