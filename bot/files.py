"""Files the bot writes: private to its user, and exports never through a symlink or over a
file by accident.

The database, its `-wal` and `-shm`, the instance lock, campaign photos and every export hold
personal data or ids, so they are created 0600 (folders 0700) whatever the umask is. Outputs
the operator names (`--out`, `--output`) are opened with O_NOFOLLOW, so a planted symlink
cannot redirect an export onto another file, and with O_EXCL unless `--force` is given. (Only
the last component is checked: the folders on the way are the operator's.)
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, Literal, TextIO, overload

FILE_MODE = 0o600
FOLDER_MODE = 0o700
PRIVATE_UMASK = 0o077


class UnsafeOutput(Exception):
    """An output path that is a symlink, a file that exists without --force, or a path that
    cannot be written (a missing folder, a folder in its place, no permission)."""


@contextmanager
def private_umask() -> Iterator[None]:
    """Whatever is created inside (by SQLite, PTB, us) is for this user only."""
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def private_folder(path: Path) -> Path:
    """`path` as a folder of the bot's own (media), 0700, created with its missing parents."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path.chmod(FOLDER_MODE)
    return path


def open_private(path: Path) -> int:
    """A file descriptor (read-write) on `path`, created 0600 when missing and made 0600 when
    it was not; for the bot's own files (database, lock), which may be symlinked by the
    operator."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def private_file(path: Path) -> None:
    """Create `path` empty and 0600 if missing, else make it 0600. A file whose mode cannot be
    changed (not ours, immutable) is left to its opener, which says what is wrong with it (the
    database check names a read-only file)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    except FileExistsError:
        with suppress(PermissionError):
            path.chmod(FILE_MODE)


def tighten(path: Path) -> None:
    """Make a file 0600 if it exists (the -wal and -shm of a database created before)."""
    with suppress(FileNotFoundError):
        path.chmod(FILE_MODE)


@overload
def open_output(path: Path, *, force: bool, binary: Literal[False] = False) -> TextIO: ...
@overload
def open_output(path: Path, *, force: bool, binary: Literal[True]) -> BinaryIO: ...
def open_output(path: Path, *, force: bool, binary: bool = False) -> TextIO | BinaryIO:
    """A new file at `path`, 0600, for an export; raises UnsafeOutput when `path` is a symlink
    or (without `force`) already exists."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    flags |= os.O_TRUNC if force else os.O_EXCL
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileExistsError:
        if path.is_symlink():
            raise UnsafeOutput(f"{path} is a symbolic link; refusing to write through it") from None
        if path.is_dir():
            raise UnsafeOutput(f"cannot write {path}: it is a folder") from None
        raise UnsafeOutput(f"{path} already exists; not overwritten (use --force)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeOutput(f"{path} is a symbolic link; refusing to write through it") from None
        raise UnsafeOutput(f"cannot write {path}: {exc.strerror}") from None
    os.fchmod(fd, FILE_MODE)  # a file overwritten with --force would keep its old mode
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def output_folder(path: Path) -> Path:
    """A folder for exports (`report --out`): created 0700 when missing; refused when it is a
    symlink. An existing folder (such as ".") is left as it is."""
    if path.is_symlink():
        raise UnsafeOutput(f"{path} is a symbolic link; refusing to write through it")
    if not path.exists():
        try:
            path.mkdir(mode=FOLDER_MODE, parents=True)
        except OSError as exc:
            raise UnsafeOutput(f"cannot write {path}: {exc.strerror}") from None
    return path
