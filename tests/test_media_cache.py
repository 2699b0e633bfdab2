"""A cover change reaches every cached page and fragment that shows it (Redis cache)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from . import test_editor
from .media_support import picture
from .test_editor import blog_form
from .test_media import write_with_cover

COVER = re.compile(r'<img class="cover" src="/media/([0-9a-f]{32})-')

writer = test_editor.writer  # the logged-in writer fixture


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return app_config | {"REDIS_URL": redis_url}


def cover_on(reader: Any, path: str) -> tuple[str | None, str]:
    response = reader.get(path)
    found = COVER.search(response.get_data(as_text=True))
    return (found[1] if found else None), response.headers.get("X-Cache", "")


def test_a_new_cover_shows_at_once_on_cached_pages(app, client, writer):
    write_with_cover(client, picture((1200, 600)))
    reader = app.test_client()  # anonymous: served from the page cache
    first, _ = cover_on(reader, "/blog/my-first-trip/")
    assert first is not None
    assert cover_on(reader, "/blog/my-first-trip/") == (first, "HIT")
    assert cover_on(reader, "/")[0] == first
    assert cover_on(reader, "/")[1] == "HIT"
    form = blog_form(title="My first trip") | {"cover_alt": "New cover"}
    form["cover_file"] = (io.BytesIO(picture((1300, 650), "PNG")), "new.png")
    response = client.post(
        "/blog/my-first-trip/edit", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    second, status = cover_on(reader, "/blog/my-first-trip/")
    assert second not in (None, first) and status == "MISS"
    assert cover_on(reader, "/")[0] == second
    assert 'alt="New cover"' in reader.get("/blog/my-first-trip/").get_data(as_text=True)
