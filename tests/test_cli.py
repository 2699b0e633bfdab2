"""The operator commands: seed, bulk seed and create-superuser."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from blogsite.extensions import db
from blogsite.models import Author, Blog, MediaFile, Tag, User


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_seed_builds_the_originals_demo_data_and_is_idempotent(app, runner, client):
    for _ in range(2):
        result = runner.invoke(args=["seed"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        titles = {b.title: b for b in db.session.scalars(db.select(Blog))}
        assert set(titles) == {"first blog title", "updated blog title"}
        assert titles["first blog title"].author.name == "test"
        assert titles["updated blog title"].author.name == "test2"
        assert titles["updated blog title"].slug == "next-blog-title"
        for blog in titles.values():
            assert [t.name for t in blog.tags] == ["tag1", "tag2"]
            assert blog.cover_image is not None and blog.is_published
            # Drawn here, stored like an upload: no outside photo service.
            assert blog.cover_image.image_link is None and blog.cover_image.media is not None
            assert blog.cover_image.alt_text
    assert count(app, Author) == 2 and count(app, Tag) == 2 and count(app, MediaFile) == 2
    page = client.get("/").get_data(as_text=True)
    assert "updated blog title" in page and "first blog title" in page
    assert "picsum" not in page and "https://" not in " ".join(re.findall(r"<img[^>]*>", page))
    for src in re.findall(r'<img class="cover" src="([^"]+)"', page):
        served = client.get(src)
        assert served.status_code == 200 and Image.open(io.BytesIO(served.data)).width > 0


def test_bulk_seed_adds_authors_blogs_and_tags(app, runner, client):
    result = runner.invoke(args=["seed", "--authors", "3", "--blogs-per-author", "7"])
    assert result.exit_code == 0, result.output
    assert "Added 3 authors and 21 blogs" in result.output
    assert count(app, Blog) == 2 + 21
    result = runner.invoke(args=["seed", "--authors", "2", "--blogs-per-author", "1"])
    assert result.exit_code == 0, result.output
    assert count(app, Blog) == 2 + 21 + 2
    assert client.get("/tag/topic-1/").status_code == 200
    assert "Bulk blog" in client.get("/?page=2").get_data(as_text=True)
    with app.app_context():
        # Every tenth bulk blog has a cover; they share a handful of drawn pictures.
        covered = db.session.scalar(
            db.select(db.func.count()).where(Blog.cover_image_id.is_not(None))
        )
        assert covered == 2 + 3 + 1
        assert count(app, MediaFile) == 2 + 4 + 4  # the second run reuses the same files
        names = set(db.session.scalars(db.select(MediaFile.name)))
    assert len(names) == 4  # the demo's two are among the bulk's four


@pytest.mark.parametrize("args", [["--authors", "-1"], ["--authors", "x"]])
def test_seed_rejects_bad_numbers(runner, args):
    result = runner.invoke(args=["seed", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


SUPERUSER_ENV = {
    "BLOGSITE_SUPERUSER_PHONE_NO": "+81 90-1111-2222",
    "BLOGSITE_SUPERUSER_PASSWORD": "a long admin passphrase",
    "BLOGSITE_SUPERUSER_EMAIL": "Admin@Example.com",
}


def test_create_superuser_noinput(app, runner, auth):
    result = runner.invoke(args=["create-superuser", "--noinput"], env=SUPERUSER_ENV)
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User))
        assert user.phone_no == "+819011112222"
        assert user.email == "admin@example.com"
        assert user.is_superuser and user.is_staff
        assert user.password_hash.startswith("scrypt:")
        assert user.author is not None
    response = auth.login("+819011112222", "a long admin passphrase")
    assert response.status_code == 302


def test_create_superuser_existing_phone_is_a_clear_error(runner):
    assert runner.invoke(args=["create-superuser", "--noinput"], env=SUPERUSER_ENV).exit_code == 0
    result = runner.invoke(args=["create-superuser", "--noinput"], env=SUPERUSER_ENV)
    assert result.exit_code == 1
    assert "already exists" in result.output and "Traceback" not in result.output
    skipped = runner.invoke(
        args=["create-superuser", "--noinput", "--skip-existing"], env=SUPERUSER_ENV
    )
    assert skipped.exit_code == 0


@pytest.mark.parametrize("missing", list(SUPERUSER_ENV))
def test_create_superuser_missing_variable(runner, monkeypatch, missing):
    env = {**SUPERUSER_ENV, missing: ""}
    result = runner.invoke(args=["create-superuser", "--noinput"], env=env)
    assert result.exit_code == 1
    assert missing in result.output


def test_create_superuser_prompts_twice_for_the_password(app, runner):
    answers = "+44 7700 900123\nroot@example.com\nanother long secret\nanother long secret\n"
    result = runner.invoke(args=["create-superuser"], input=answers)
    assert result.exit_code == 0, result.output
    assert "another long secret" not in result.output  # hidden input
    assert count(app, User) == 1


def test_create_superuser_bad_phone(runner):
    env = {**SUPERUSER_ENV, "BLOGSITE_SUPERUSER_PHONE_NO": "12ab"}
    result = runner.invoke(args=["create-superuser", "--noinput"], env=env)
    assert result.exit_code == 1 and "phone number" in result.output
