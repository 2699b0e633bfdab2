"""Pictures: uploads through the editor, processing, refusals, serving, srcset, the throttle."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from blogsite import create_app
from blogsite.media import current_storage
from blogsite.models import Blog, CoverImage, MediaFile

from . import test_editor
from .media_support import GPS_IFD, gps_photo, picture
from .test_editor import blog_form, rows, write

SRCSET = re.compile(r'srcset="([^"]+)"')

writer = test_editor.writer  # the logged-in writer fixture


def stored(app) -> list[str]:
    root = Path(app.config["MEDIA_URL"].removeprefix("file://"))
    return (
        sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
        if root.exists()
        else []
    )


def upload(client, slug: str, data: bytes, alt: str = "A red square", name: str = "photo.jpg"):
    return client.post(f"/blog/{slug}/images",
                       data={"image": (io.BytesIO(data), name), "alt": alt},
                       content_type="multipart/form-data")  # fmt: skip


def write_with_cover(client, data: bytes, alt: str = "Kyoto at dusk", **fields):
    form = blog_form(**fields) | {"cover_file": (io.BytesIO(data), "IMG_2024_home.jpg"),
                                  "cover_alt": alt}  # fmt: skip
    return client.post("/blog/new", data=form, content_type="multipart/form-data")


def test_a_cover_upload_is_stored_resized_and_shown_with_srcset(app, client, writer):
    response = write_with_cover(client, picture((2400, 1600)))
    assert response.status_code == 302
    [media] = rows(app, MediaFile)
    assert (media.width, media.height) == (2400, 1600)
    digest = media.name.split("-")[0]
    assert stored(app) == sorted([media.name, *(f"{digest}-{w}.webp" for w in (480, 960, 1600))])
    client.get("/logout")
    page = client.get("/blog/my-first-trip/").get_data(as_text=True)
    img = re.search(r'<img class="cover"[^>]*>', page)[0]
    assert f"/media/{digest}-480.webp 480w" in img and f"/media/{digest}-1600.webp 1600w" in img
    assert 'width="960" height="640"' in img and 'alt="Kyoto at dusk"' in img
    assert 'sizes="' in img and 'loading="eager"' in img
    # The home page's card lazy-loads the same picture.
    home = client.get("/").get_data(as_text=True)
    assert re.search(
        r'<img class="cover" src="/media/[0-9a-f]{32}-960\.webp"[^>]*loading="lazy"', home
    )
    for name in stored(app):
        served = client.get(f"/media/{name}")
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        kind = "image/webp" if name.endswith(".webp") else "image/jpeg"
        assert served.mimetype == kind
        assert Image.open(io.BytesIO(served.data)).format == (
            "WEBP" if name.endswith("webp") else "JPEG"
        )


def test_the_media_path_refuses_unknown_names(app, client, writer):
    write_with_cover(client, picture((800, 600)))
    [media] = rows(app, MediaFile)
    missing = "0" * 32 + "-800x600.jpg"
    for path in (missing, "../instance/blogsite.sqlite", "x.html", media.name + ".html",
                 media.name.replace(".jpg", ".svg")):  # fmt: skip
        assert client.get(f"/media/{path}").status_code == 404
    # A repeat visit asks with the name as its ETag and gets 304, storage untouched.
    again = client.get(f"/media/{media.name}", headers={"If-None-Match": f'"{media.name}"'})
    assert again.status_code == 304
    # Logged in, the file is still public and cacheable (no personal no-store).
    assert client.get(f"/media/{media.name}").headers["Cache-Control"].startswith("public")


def test_metadata_is_stripped_and_the_orientation_applied(app, client, writer):
    original = gps_photo((1200, 800), orientation=6)  # a phone held upright
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the input has GPS
    write_with_cover(client, original)
    [media] = rows(app, MediaFile)
    assert (media.width, media.height) == (800, 1200)  # turned as the camera said
    root = Path(app.config["MEDIA_URL"].removeprefix("file://"))
    for name in stored(app):
        data = (root / name).read_bytes()
        image = Image.open(io.BytesIO(data))
        assert not image.getexif(), name
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info), name
        for secret in (b"Jane Writer", b"SN-123456789", b"PhoneMaker", b"Exif"):
            assert secret not in data, (name, secret)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "web page or archive content",
        ),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "web page or archive content"),
        (b"just some text, named photo.jpg", "not a JPEG, PNG, WebP or GIF"),
        (picture((400, 300))[:-2000], "damaged or incomplete"),
        (picture((400, 300)) + b"<script>alert(document.cookie)</script>", "web page or archive"),
        (picture((400, 300)) + b"PK\x03\x04zipped-payload", "web page or archive"),
        (lambda: picture((7000, 6000), "PNG"), "at most 40 million"),  # made when run
        (lambda: picture((20000, 2), "PNG"), "16,383 pixels on a side"),  # WebP's limit
    ],
    ids=[
        "empty",
        "svg",
        "html",
        "text",
        "truncated",
        "polyglot-html",
        "polyglot-zip",
        "bomb",
        "too-wide",
    ],
)
def test_each_refusal_is_a_form_error_leaving_nothing(app, client, writer, make_blog, data, reason):
    write(client, title="Pictures")
    response = upload(client, "pictures", data() if callable(data) else data)
    assert response.status_code == 200
    assert reason in response.get_data(as_text=True)
    assert rows(app, MediaFile) == [] and stored(app) == []


def test_a_cover_refusal_keeps_the_form_and_saves_nothing(app, client, writer):
    response = write_with_cover(client, b"<html><script>x</script></html>")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "web page or archive content" in page and "My first trip" in page
    assert rows(app, Blog) == [] and stored(app) == []


def test_an_uploaded_cover_needs_a_description(app, client, writer):
    response = write_with_cover(client, picture((600, 400)), alt="")
    assert "Describe the cover picture" in response.get_data(as_text=True)
    assert rows(app, Blog) == [] and stored(app) == []


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp"), ("GIF", "png")])
def test_png_webp_and_the_first_frame_of_a_gif(app, client, writer, fmt, ext):
    write(client, title="Pictures")
    assert upload(client, "pictures", picture((640, 480), fmt)).status_code == 302
    [media] = rows(app, MediaFile)
    assert media.name.endswith(f"-640x480.{ext}")
    first = Image.open(io.BytesIO(client.get(f"/media/{media.name}").data)).convert("RGB")
    assert first.getpixel((0, 0)) != (0, 0, 255)  # the GIF's first frame, not its second


def test_copies_are_never_wider_than_the_original(app, client, writer):
    write(client, title="Pictures")
    upload(client, "pictures", picture((700, 350)))
    [media] = rows(app, MediaFile)
    digest = media.name.split("-")[0]
    assert stored(app) == sorted([media.name, f"{digest}-480.webp", f"{digest}-700.webp"])
    assert Image.open(io.BytesIO(client.get(f"/media/{digest}-700.webp").data)).size == (700, 350)


def test_body_pictures_are_listed_with_markdown_and_rendered_with_srcset(app, client, writer):
    write(client, title="Pictures")
    response = upload(client, "pictures", picture((2000, 1000)), alt="Tea [green]")
    assert response.status_code == 302 and response.location.endswith(
        "/blog/pictures/edit#pictures"
    )
    [media] = rows(app, MediaFile)
    editor = client.get("/blog/pictures/edit").get_data(as_text=True)
    markdown = f"![Tea \\[green\\]](/media/{media.name})"
    assert f'value="{markdown}"' in editor
    assert 'class="thumb"' in editor
    write_form = blog_form(title="Pictures", content=f"Look:\n\n{markdown}\n")
    client.post("/blog/pictures/edit", data=write_form)
    page = client.get("/blog/pictures/").get_data(as_text=True)
    img = re.search(r'<img src="/media/[^>]*>', page)[0]
    widths = [part.split()[-1] for part in SRCSET.search(img)[1].split(", ")]
    assert widths == ["480w", "960w", "1600w"]
    assert 'width="960" height="480"' in img and 'alt="Tea [green]"' in img
    assert 'loading="lazy"' in img


def test_a_cover_stays_when_the_editor_is_saved_without_a_file(app, client, writer):
    write_with_cover(client, picture((900, 600)))
    form = blog_form(title="My first trip", content="Changed", cover_alt="Kyoto at night")
    assert client.post("/blog/my-first-trip/edit", data=form).status_code == 302
    [cover] = rows(app, CoverImage)
    assert cover.media_id is not None and cover.alt_text == "Kyoto at night"
    form = blog_form(title="My first trip", content="Changed", remove_cover="y")
    client.post("/blog/my-first-trip/edit", data=form)
    assert rows(app, CoverImage) == []


@pytest.fixture
def small_uploads(app_config):
    app_config["MEDIA_MAX_BYTES"] = 50_000
    app_config["MAX_CONTENT_LENGTH"] = 100_000
    return app_config


def test_size_limits_form_error_then_413(small_uploads, app, client, writer):
    assert app.config["MEDIA_MAX_BYTES"] == 50_000  # and the page's own limit on top
    write(client, title="Pictures")
    noise = Image.effect_noise((300, 300), 80)  # grey noise: about 90 KB as PNG
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert 50_000 < len(out.getvalue()) < 150_000
    response = upload(client, "pictures", out.getvalue())
    assert response.status_code == 200 and "A picture is at most" in response.get_data(as_text=True)
    huge = upload(client, "pictures", b"\xff\xd8" + b"0" * 200_000)
    assert huge.status_code == 413
    # Other pages keep the site's own limit.
    assert client.post("/account", data={"name": "x" * 120_000}).status_code == 413
    assert rows(app, MediaFile) == [] and stored(app) == []


@pytest.fixture
def two_uploads_an_hour(app_config):
    app_config["THROTTLE_RATES"] = {"upload": "2/hour"}
    return app_config


def test_uploads_are_throttled_per_user_but_plain_saves_are_not(
    two_uploads_an_hour, app, client, writer
):
    write(client, title="Pictures")
    for _ in range(3):  # saves without a picture do not count
        form = blog_form(title="Pictures", content="Again")
        assert client.post("/blog/pictures/edit", data=form).status_code == 302
    assert upload(client, "pictures", picture((300, 200))).status_code == 302
    assert upload(client, "pictures", picture((301, 200))).status_code == 302
    third = upload(client, "pictures", picture((302, 200)))
    assert third.status_code == 429
    assert len(rows(app, MediaFile)) == 2


def test_uploads_are_logged_without_the_file_name(app, client, writer, caplog):
    write(client, title="Pictures")
    with caplog.at_level("INFO", logger="blogsite.events"):
        upload(client, "pictures", picture((300, 200)), name="jane-doe-home-address.jpg")
        upload(client, "pictures", b"<html>", name="jane-doe-secret.jpg")
    events = {record.ev: record.data for record in caplog.records if hasattr(record, "ev")}
    assert {"media.processed", "media.uploaded", "media.refused"} <= set(events)
    assert "jane-doe" not in repr([r.__dict__ for r in caplog.records])


def test_a_relative_file_url_is_the_projects_directory(app_config):
    app = create_app(app_config | {"MEDIA_URL": "file://instance/media"})
    with app.app_context():
        root = current_storage().root  # type: ignore[attr-defined]
    assert Path(root) == Path(app.instance_path) / "media"
    assert root.is_absolute()


@pytest.fixture
def few_pixels(app_config):
    app_config["MEDIA_MAX_PIXELS"] = 100_000
    return app_config


def test_max_pixels_is_the_most_a_picture_may_have(few_pixels, app, client, writer):
    assert app.config["MEDIA_MAX_PIXELS"] == 100_000
    write(client, title="Pictures")
    assert upload(client, "pictures", picture((300, 300))).status_code == 302  # 90,000
    refused = upload(client, "pictures", picture((400, 300))).get_data(as_text=True)
    assert "This picture has 0.12 million pixels; at most 0.1 million are accepted." in refused
