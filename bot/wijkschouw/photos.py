"""Photos of findings lose their metadata before they are stored.

A phone photo's EXIF block can hold the GPS position (often the reporter's own street), the
camera and the moment it was taken; XMP, comments and ICC profiles can carry more. Pillow
decodes the pixels and writes a new JPEG from them alone: the orientation is applied first
(so the photo is not shown on its side), then nothing of the original file but the pixels is
written. Large photos are scaled down; the municipality needs to see the problem, not print it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 1600
MAX_PIXELS = 50_000_000  # refuse decompression bombs long before Pillow's own limit
MAX_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download
QUALITY = 85


class PhotoError(ValueError):
    """The file is not a photo we can read."""


def strip_metadata(data: bytes) -> bytes:
    """A JPEG with the same picture and no metadata at all; raises PhotoError."""
    if len(data) > MAX_BYTES:
        raise PhotoError("too large")
    try:
        with Image.open(io.BytesIO(data)) as original:
            if original.width * original.height > MAX_PIXELS:
                raise PhotoError("too many pixels")
            upright = ImageOps.exif_transpose(original)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise PhotoError(type(exc).__name__) from exc
    clean = upright.convert("RGB")
    clean.info = {}  # Pillow would carry a JPEG comment over from here
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
