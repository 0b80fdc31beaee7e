"""Photo files of wijkschouw findings, in the data folder's `media` directory.

Only EXIF-free JPEGs come here (bot/wijkschouw/photos.py strips them first). The directory is
0700 and every file 0600: the photos may show homes and people, and only the bot reads them.
Names are random, so a name says nothing about who took the photo or where.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_NAME_BYTES = 12


class MediaStore:
    """The files under `root`: the configuration's storage.media_dir, beside the database."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, suffix: str = ".jpg") -> str:
        """Write a new file (never overwriting one) and return its name."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = secrets.token_hex(_NAME_BYTES) + suffix
        fd = os.open(self.root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return name

    def path(self, name: str) -> Path:
        """The file's path; refuses anything that is not a plain name in this directory."""
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"not a media file name: {name!r}")
        return self.root / name

    def read(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)
