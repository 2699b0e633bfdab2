"""Pictures (issue 15): time to process a 12 MP JPEG, and the image bytes a phone 360 px
wide downloads for a blog page with a link cover (before) and an uploaded one (srcset).

    .venv/bin/python bench/media.py     # needs Chromium at /usr/bin/chromium

"Before" covers are links served by the same app from /raw/: the old demo data's 800x400
JPEG, and a writer's link to the full camera photo. Run on a quiet machine.
"""

# ruff: noqa
import io, os, statistics, sys, tempfile, threading, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from PIL import Image
from werkzeug.serving import make_server
from blogsite import create_app
from blogsite.extensions import db
from blogsite.media.processing import process
from blogsite.media.drawing import draw


def photo(size):
    # Texture at several scales in each channel, like a photo: detail survives downscaling.
    w, h = size

    def channel(seed):
        layers = [
            Image.effect_noise((max(1, w // f), max(1, h // f)), 60).resize(size, Image.BICUBIC)
            for f in (64, 16, 4, 1)
        ]
        out = layers[0]
        for layer, alpha in zip(layers[1:], (0.5, 0.35, 0.15)):
            out = Image.blend(out, layer, alpha)
        return out

    img = Image.merge("RGB", [channel(i) for i in range(3)])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


twelve = photo((4000, 3000))
print(f"12 MP JPEG input: {len(twelve) / 1e6:.1f} MB")
times = []
for _ in range(3):
    t = time.perf_counter()
    p = process(twelve, 20 * 1024 * 1024, 40_000_000, (480, 960, 1600))
    times.append(time.perf_counter() - t)
print(
    "process 12MP: runs",
    [round(x, 2) for x in times],
    "median",
    round(statistics.median(times), 2),
    "s",
)
print("outputs:", [(r.name.split("-", 1)[1], len(r.data)) for r in p.files])

tmp = tempfile.mkdtemp()
app = create_app(
    {
        "TESTING": True,
        "SECRET_KEY": "x" * 32,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/m.sqlite",
        "MEDIA_URL": f"file://{tmp}/media",
        "REDIS_URL": None,
        "CACHE_ENABLED": False,
    }
)
from blogsite.media.uploads import all_or_nothing, add_picture, prepare
from blogsite.models import Author, Blog, CoverImage
from blogsite.media import current_storage

with app.app_context():
    db.create_all()
    a = Author(name="a")
    db.session.add(a)
    with all_or_nothing() as pending:
        seed = add_picture(pending, prepare(draw(0)), alt="hills")
        big = add_picture(pending, prepare(twelve), alt="photo")
        db.session.commit()
    # "Before": a link cover, as the old demo data had (an 800x400 JPEG elsewhere), and a
    # writer's link to a full camera photo. Both served by this server as plain files.
    small = Image.open(io.BytesIO(draw(0))).resize((800, 400))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=90)
    current_storage().put("link-800.jpg", out.getvalue(), "image/jpeg")
    current_storage().put("link-12mp.jpg", twelve, "image/jpeg")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for slug, cover in [
        ("before-demo", CoverImage(image_link=f"{base}/raw/link-800.jpg")),
        ("after-demo", CoverImage(media=seed, alt_text="hills")),
        ("before-photo", CoverImage(image_link=f"{base}/raw/link-12mp.jpg")),
        ("after-photo", CoverImage(media=big, alt_text="photo")),
    ]:
        db.session.add(
            Blog(
                title=slug,
                slug=slug,
                content="Text.",
                author=a,
                status="published",
                cover_image=cover,
            )
        )
    db.session.commit()

from flask import send_file


@app.get("/raw/<name>")
def raw(name):  # the "elsewhere" of a link cover
    return send_file(os.path.join(tmp, "media", name))


from playwright.sync_api import sync_playwright

with sync_playwright() as pw:
    browser = pw.chromium.launch(
        executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
    )
    for dpr in (1, 2, 3):
        row = []
        for slug in ("before-demo", "after-demo", "before-photo", "after-photo"):
            ctx = browser.new_context(
                viewport={"width": 360, "height": 740}, device_scale_factor=dpr
            )
            page = ctx.new_page()
            sizes = []
            # Bytes on the wire per finished image request (a 5 MB body is not read back).
            page.on(
                "requestfinished",
                lambda r: (
                    sizes.append((r.url, r.sizes()["responseBodySize"]))
                    if r.resource_type == "image"
                    else None
                ),
            )
            page.goto(f"{base}/blog/{slug}/")
            page.wait_for_load_state("networkidle")
            total = sum(s for _, s in sizes)
            row.append(
                f"{slug}: {total / 1024:.0f} KB ({', '.join(u.rsplit('/', 1)[1][-16:] for u, _ in sizes)})"
            )
            ctx.close()
        print(f"DPR {dpr}:", " | ".join(row))
    browser.close()
server.shutdown()
