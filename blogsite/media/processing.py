"""Pictures with Pillow: judged by content, oriented, stripped of metadata, resized to WebP.

Only the decoders of the four accepted formats are ever tried (an EPS or SVG never reaches
a decoder), the pixel count is checked from the header before anything is decoded, and
the output is rebuilt from bare pixels, so no EXIF, XMP, ICC or text chunk survives.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from .names import Picture, variant_widths

# Decoders tried, and what the re-encoded original becomes (a GIF keeps its first frame).
FORMATS = {"JPEG": ("jpg", "JPEG"), "PNG": ("png", "PNG"), "WEBP": ("webp", "WEBP"),
           "GIF": ("png", "PNG")}  # fmt: skip
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# Markup or an archive inside an image makes a polyglot: a file some program reads as a
# page or a script. Re-encoding would drop it, but such a file is refused outright.
POLYGLOT = re.compile(
    rb"<(?:html|script|svg|body|iframe|object|embed|!doctype|\?php)[\s>/]|PK\x03\x04", re.I
)
MAX_SIDE = 16_383  # WebP's limit: every picture gets WebP copies
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never half-shown


class ImageRefused(ValueError):  # noqa: N818 (a refusal the form shows, like RuleError)
    """The upload is not a picture this site accepts; the message says why, for the form."""


@dataclass(frozen=True)
class Rendition:
    """One file to store."""

    name: str
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    """An accepted picture: its re-encoded original and its WebP copies."""

    original: Rendition
    variants: list[Rendition]

    @property
    def files(self) -> list[Rendition]:
        return [self.original, *self.variants]


def open_checked(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    """Return the decoded first frame of ``data``, or raise ImageRefused saying why."""
    if not data:
        raise ImageRefused("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRefused(f"A picture is at most {max_bytes / 1024 / 1024:.0f} MB.")
    if POLYGLOT.search(data):
        raise ImageRefused(
            "This file carries web page or archive content inside the picture; "
            "export it again as a plain JPEG or PNG."
        )
    refused = ImageRefused("This is not a JPEG, PNG, WebP or GIF picture.")
    damaged = ImageRefused("This picture is damaged or incomplete; export it again.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                width, height = probe.size
                if max(width, height) > MAX_SIDE:
                    raise ImageRefused(f"A picture is at most {MAX_SIDE:,} pixels on a side.")
                if width * height > max_pixels:
                    raise ImageRefused(
                        f"This picture has {width * height / 1e6:.3g} million pixels; "
                        f"at most {max_pixels / 1e6:.3g} million are accepted."
                    )
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            image.seek(0)
            image.load()
        except ImageRefused:
            raise
        except UnidentifiedImageError:
            raise refused from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused("This picture is too big once decoded.") from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
            raise damaged from None
    return image


def clean_pixels(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, convert to sRGB, and return bare pixels: no metadata."""
    fmt = image.format or ""
    image = ImageOps.exif_transpose(image) or image
    icc = image.info.get("icc_profile")
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if transparent and fmt != "JPEG" else "RGB"
    if image.mode == "L" and not transparent:
        mode = "L"
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            image = ImageCms.profileToProfile(image, source, srgb, outputMode=mode) or image
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    converted = image.convert(mode) if image.mode != mode else image
    # A new image from the raw pixels carries nothing of the file it came from.
    return Image.frombytes(mode, converted.size, converted.tobytes())


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def encode_original(image: Image.Image, fmt: str) -> bytes:
    """Re-encode the cleaned original in its own kind of file."""
    if fmt == "JPEG":
        return encode(image, "JPEG", quality=88, optimize=True, progressive=True)
    if fmt == "WEBP":
        return encode(image, "WEBP", quality=85, method=4)
    return encode(image, "PNG", compress_level=6)


def make_variants(image: Image.Image, picture: Picture, widths: Iterable[int]) -> list[Rendition]:
    """Return the WebP copies of ``image``, largest first resized from the original."""
    result = []
    source = image
    for name, width, height in sorted(picture.variants(widths), key=lambda v: -v[1]):
        if (width, height) != source.size:
            # Each smaller copy comes from the previous one: much faster, as sharp.
            source = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        data = encode(source, "WEBP", quality=80, method=4)
        result.append(Rendition(name, data, "image/webp", width, height))
    return sorted(result, key=lambda r: r.width)


def process(data: bytes, max_bytes: int, max_pixels: int, widths: Iterable[int]) -> Processed:
    """Check, clean and resize an upload; raise ImageRefused with a reason for the form."""
    image = open_checked(data, max_bytes, max_pixels)
    ext, fmt = FORMATS[image.format or "PNG"]
    try:
        clean = clean_pixels(image)
        if fmt == "JPEG" and clean.mode == "RGBA":
            clean = clean.convert("RGB")
        original = encode_original(clean, fmt)
        digest = hashlib.sha256(original).hexdigest()[:32]
        width, height = clean.size
        picture = Picture(f"{digest}-{width}x{height}.{ext}", digest, width, height)
        variants = make_variants(clean, picture, widths)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError, struct.error):
        # Malformed EXIF (the orientation is read here), or a shape an encoder refuses:
        # a damaged file for the writer, never a 500.
        raise ImageRefused("This picture is damaged or incomplete; export it again.") from None
    return Processed(Rendition(picture.name, original, CONTENT_TYPES[ext], width, height), variants)


def variants_of(data: bytes, picture: Picture, widths: Iterable[int]) -> list[Rendition]:
    """Rebuild the copies of a stored original (``flask media regenerate``)."""
    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
        image.load()
        return make_variants(image, picture, widths)


__all__ = ["ImageRefused", "Processed", "Rendition", "process", "variant_widths", "variants_of"]
