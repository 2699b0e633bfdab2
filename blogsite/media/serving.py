"""``/media/<name>``: a stored file, cached by browsers and proxies for a year.

A name is a content hash, so the file behind it never changes: ``immutable`` lets a
browser skip even revalidation. Unknown names are a 404 before storage is asked.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, request
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from . import current_storage
from .names import content_type

IMMUTABLE = "public, max-age=31536000, immutable"


def serve(name: str) -> Response:
    """Answer with the stored file ``name``, or redirect to the public URL when one is set."""
    kind = content_type(name)
    if kind is None:
        abort(404)
    public = current_app.config.get("MEDIA_PUBLIC_URL")
    if public:
        response = redirect(f"{public.rstrip('/')}/{name}", 302)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
    if request.if_none_match.contains(name):
        response = Response(status=304)  # the name is the version: no need to look
    else:
        opened = current_storage().open(name)
        if opened is None:
            abort(404)
        response = Response(
            wrap_file(request.environ, opened.stream), mimetype=kind, direct_passthrough=True
        )
        response.content_length = opened.length
    response.set_etag(name)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
