"""Cover images in the console: uploads, thumbnails, which blog shows each, refusals."""

from __future__ import annotations

import io
import os
import re
from typing import Any

import pytest

from blogsite.extensions import db
from blogsite.models import Blog, CoverImage, MediaFile

from ..media_support import picture


def upload(console: Any, data: bytes, alt: str = "A lake", url: str = "/admin/cover-images/new/"):
    form = {"upload": (io.BytesIO(data), "DSC_0001.jpg"), "alt_text": alt, "image_link": ""}
    return console.post(url, data=form, content_type="multipart/form-data")


def test_a_cover_uploaded_in_the_console_is_listed_with_its_thumbnail_and_blog(
    console, app, make_blog
):
    response = upload(console, picture((1000, 500)))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        cover = db.session.scalars(db.select(CoverImage)).one()
        media = cover.media
        assert cover.image_link is None and media.width == 1000
        cover_id, name = cover.id, media.name
    make_blog("Lakes", cover_image_id=cover_id)
    html = console.get("/admin/cover-images/").get_data(as_text=True)
    thumb = re.search(r'<img class="thumb"[^>]*>', html)[0]
    assert f"/media/{name.split('-')[0]}-480.webp" in thumb and 'width="96"' in thumb
    assert 'alt="A lake"' in thumb and '<a href="/blog/lakes/">Lakes</a>' in html
    # The blogs list shows the same thumbnail, and the site serves the file.
    assert 'class="thumb"' in console.get("/admin/blogs/").get_data(as_text=True)
    assert console.get(f"/media/{name}").status_code == 200


def test_the_console_refuses_bad_files_and_missing_descriptions(console, app):
    refused = upload(console, b"<svg onload=alert(1)></svg>")
    assert refused.status_code == 200 and "web page or archive" in refused.get_data(as_text=True)
    no_alt = upload(console, picture((300, 200)), alt="")
    assert "Describe the picture" in no_alt.get_data(as_text=True)
    empty = upload(console, b"", alt="x")
    assert "The file is empty" in empty.get_data(as_text=True)
    nothing = console.post("/admin/cover-images/new/", data={"alt_text": "x", "image_link": ""})
    assert "Upload a picture or give a link" in nothing.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(db.select(MediaFile)).all() == []
        assert db.session.scalars(db.select(CoverImage)).all() == []
    root = app.config["MEDIA_URL"].removeprefix("file://")
    assert not os.path.exists(root) or not [n for n in os.listdir(root) if not n.startswith(".")]


def test_a_link_cover_still_works_and_can_become_an_upload(console, app, make_blog):
    link = {"image_link": "https://img.example/a.png"}
    assert console.post("/admin/cover-images/new/", data=link).status_code == 302
    with app.app_context():
        cover_id = db.session.scalars(db.select(CoverImage.id)).one()
    response = upload(console, picture((640, 480)), url=f"/admin/cover-images/edit/?id={cover_id}")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        cover = db.session.get(CoverImage, cover_id)
        assert cover.image_link is None and cover.media is not None
        assert db.session.scalars(db.select(Blog)).all() == []


@pytest.fixture
def one_upload_an_hour(app_config):
    app_config["THROTTLE_RATES"] = {"upload": "1/hour"}
    return app_config


def test_console_uploads_share_the_upload_budget(one_upload_an_hour, console, app):
    assert upload(console, picture((300, 200))).status_code == 302
    assert console.get("/admin/cover-images/new/").status_code == 200  # a GET is no upload
    assert upload(console, picture((310, 200))).status_code == 429
    with app.app_context():
        assert len(db.session.scalars(db.select(MediaFile)).all()) == 1
