"""Sample media for the sandbox: a photo as a phone writes it, with camera and GPS tags in its
EXIF block, so the demo and the tests can show that the bot strips them."""

from __future__ import annotations

import io

from PIL import ExifTags, Image

CAMERA = "SandboxPhone X9"
# 52°13'40.8" N, 6°53'46.0" E: Roombeek, Enschede.
LATITUDE = (52.0, 13.0, 40.8)
LONGITUDE = (6.0, 53.0, 46.0)


def phone_photo(
    width: int = 320, height: int = 240, *, orientation: int = 1, comment: bytes = b""
) -> bytes:
    """A real JPEG with EXIF (camera, orientation, GPS position) and an optional comment."""
    image = Image.new("RGB", (width, height), (90, 110, 140))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = LONGITUDE
    out = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    image.save(out, format="JPEG", exif=exif, **extra)
    return out.getvalue()
