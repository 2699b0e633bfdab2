"""Demo pictures drawn with Pillow (no network): a sky, a sun and hills, in a few palettes.

``flask seed`` stores them like any upload, so ``make run`` shows real pictures offline.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

from ..models import MediaFile
from .uploads import PendingFiles, add_picture, prepare

SIZE = (1600, 800)
Colour = tuple[int, int, int]
PALETTES: list[tuple[Colour, Colour, Colour, list[Colour]]] = [
    # sky top, sky bottom, sun, hills far to near
    ((36, 59, 115), (247, 164, 96), (255, 222, 140),
     [(96, 72, 110), (60, 45, 80), (30, 25, 45)]),
    ((120, 190, 235), (225, 240, 250), (255, 250, 220),
     [(120, 160, 110), (70, 120, 70), (40, 80, 45)]),
    ((20, 24, 60), (70, 60, 120), (235, 235, 250),
     [(50, 50, 90), (35, 35, 65), (20, 20, 40)]),
    ((250, 200, 150), (255, 240, 210), (255, 120, 80),
     [(200, 150, 110), (160, 110, 80), (110, 70, 50)]),
]  # fmt: skip
ALT = [
    "Hills under an orange evening sky",
    "Green hills under a clear blue sky",
    "Dark hills under the moon",
    "Desert ridges under a low red sun",
]


def draw(number: int) -> bytes:
    """Return demo picture ``number`` as a JPEG (the same bytes every time)."""
    top, bottom, sun, hills = PALETTES[number % len(PALETTES)]
    rng = random.Random(number)
    width, height = SIZE
    sky = Image.linear_gradient("L").resize(SIZE)
    image = Image.composite(Image.new("RGB", SIZE, bottom), Image.new("RGB", SIZE, top), sky)
    pen = ImageDraw.Draw(image)
    x, y, r = rng.randint(300, 1300), rng.randint(150, 350), rng.randint(60, 110)
    pen.ellipse((x - r, y - r, x + r, y + r), fill=sun)
    for depth, colour in enumerate(hills):
        base = 450 + depth * 110
        points = [(0, height)]
        for step in range(0, width + 100, 100):
            points.append((step, base + rng.randint(-90, 60)))
        points.append((width, height))
        pen.polygon(points, fill=colour)
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def demo_picture(pending: PendingFiles, number: int) -> MediaFile:
    """Store demo picture ``number`` and add its row (not committed)."""
    alt = ALT[number % len(ALT)]
    return add_picture(pending, prepare(draw(number)), alt=alt)
