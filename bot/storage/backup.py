"""Online backups and checked restores of the database and the campaign media beside it.

A backup uses SQLite's backup API (`sqlite3.Connection.backup`), not a file copy: copying the
file of a live WAL database can tear a page or miss what is still in `-wal`, while one backup
step reads every page inside a single read transaction, a consistent snapshot taken without
stopping the bot (WAL readers never block its writer). The database is copied before the media
folder: photos are written before the row that names them and only unreferenced ones are ever
deleted, so every photo the snapshot refers to is in the copy.

Synchronous stdlib sqlite3 on purpose: the CLI runs it in its own process (or a thread), and one
blocking step is what makes the snapshot consistent.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.storage.migrations import MIGRATIONS

MANIFEST = "manifest.json"
MEDIA = "media"
BUSY_TIMEOUT_S = 30.0
# Tables every Buurtwacht database has since schema version 1: a file without them is not one.
REQUIRED_TABLES = {"chats", "ptb_state"}


class BackupError(Exception):
    """A backup or restore that must not go ahead; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    database: Path
    schema_version: int
    database_bytes: int
    media_files: int
    media_bytes: int


@dataclass(frozen=True)
class RestoreResult:
    database: Path
    schema_version: int
    kept_aside: list[Path]
    media_files: int


def stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def _private_file(path: Path) -> None:
    """Create `path` empty with mode 0600, so its content is never readable by others."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _copy_private(source: Path, target: Path) -> None:
    _private_file(target)
    with source.open("rb") as src, target.open("r+b") as dst:
        shutil.copyfileobj(src, dst)
        dst.flush()
        os.fsync(dst.fileno())


def _snapshot(source: Path, target: Path) -> None:
    """Copy a (possibly live) database into a new 0600 file with the backup API."""
    _private_file(target)
    with (
        closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)  # pages=-1: one step, one read transaction, one consistent snapshot
        # A self-contained file: no -wal beside it to lose when it is copied elsewhere.
        dst.execute("PRAGMA journal_mode = DELETE")


def check_database(path: Path) -> int:
    """The schema version of a sound Buurtwacht database at `path`; BackupError otherwise."""
    if not path.is_file():
        raise BackupError(f"{path}: no such database file")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a readable SQLite database ({exc})") from None
    if result != ["ok"]:
        raise BackupError(f"{path}: integrity check failed: {'; '.join(result[:5])}")
    if version < 1 or not REQUIRED_TABLES.issubset(tables):
        raise BackupError(f"{path}: not a Buurtwacht database (schema version {version})")
    if version > len(MIGRATIONS):
        raise BackupError(
            f"{path}: schema version {version} is newer than this bot ({len(MIGRATIONS)}); "
            "restore it with the version that made it"
        )
    return version


def _media_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(p for p in folder.iterdir() if p.is_file())


def backup(db_path: Path, media_dir: Path, dest: Path, now: datetime) -> BackupResult:
    """Write `dest/buurtwacht-<UTC stamp>/` with the database, the media and a manifest."""
    if not db_path.is_file():
        raise BackupError(f"{db_path}: no such database file")
    folder = dest / f"buurtwacht-{stamp(now)}"
    try:
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if not dest.is_dir():
            raise BackupError(f"{dest} is a file, not a folder") from None
        raise BackupError(f"{folder} already exists; not overwritten") from None
    except OSError as exc:  # a file on the way, no permission, a full or read-only disk
        raise BackupError(f"cannot create {folder}: {exc.strerror}") from None
    database = folder / db_path.name
    _snapshot(db_path, database)
    version = check_database(database)
    (folder / MEDIA).mkdir(mode=0o700)
    media = []
    for photo in _media_files(media_dir):
        _copy_private(photo, folder / MEDIA / photo.name)
        media.append(photo.name)
    manifest = {
        "created_at": now.isoformat(timespec="seconds"),
        "database": database.name,
        "schema_version": version,
        "media": media,
    }
    _private_file(folder / MANIFEST)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return BackupResult(
        folder=folder,
        database=database,
        schema_version=version,
        database_bytes=database.stat().st_size,
        media_files=len(media),
        media_bytes=sum((folder / MEDIA / name).stat().st_size for name in media),
    )


def _backup_parts(source: Path) -> tuple[Path, Path | None]:
    """A backup folder (its manifest names the database) or a bare database file."""
    if source.is_dir():
        try:
            manifest = json.loads((source / MANIFEST).read_text("utf-8"))
            return source / manifest["database"], source / MEDIA
        except (OSError, ValueError, KeyError):
            raise BackupError(f"{source}: no readable {MANIFEST}; not a backup folder") from None
    return source, None


def restore(source: Path, db_path: Path, media_dir: Path, now: datetime) -> RestoreResult:
    """Put a checked backup in place. The caller holds the bot's instance lock.

    Nothing is overwritten: the current database (checkpointed into one file first) and media
    folder are renamed to `*.before-restore-<stamp>` beside the originals.
    """
    database, media = _backup_parts(source)
    version = check_database(database)
    suffix = f"before-restore-{stamp(now)}"
    kept: list[Path] = []
    if db_path.exists():
        with closing(sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S)) as current:
            current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for part in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            if part.exists():
                aside = part.with_name(part.name.replace(db_path.name, f"{db_path.name}.{suffix}"))
                part.rename(aside)
                kept.append(aside)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    incoming = db_path.with_name(f"{db_path.name}.restoring")
    incoming.unlink(missing_ok=True)
    _snapshot(database, incoming)
    os.replace(incoming, db_path)
    restored_media = 0
    if media is not None:
        if media_dir.exists():
            aside = media_dir.with_name(f"{media_dir.name}.{suffix}")
            media_dir.rename(aside)
            kept.append(aside)
        media_dir.mkdir(mode=0o700, parents=True)
        for photo in _media_files(media):
            _copy_private(photo, media_dir / photo.name)
            restored_media += 1
    return RestoreResult(db_path, version, kept, restored_media)
