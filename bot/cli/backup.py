"""`buurtwacht backup DEST` and `buurtwacht restore SRC`: the database and the campaign media.

A backup runs while the bot runs (SQLite's online backup API). A restore refuses while it runs:
it takes the bot's instance lock for as long as it works, so the bot cannot start half-way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import load_or_report
from bot.delivery import InstanceLock
from bot.storage.backup import BackupError, backup, restore
from bot.storage.database import utcnow


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("backup", help="copy the database and media while it runs")
    parser.add_argument("dest", type=Path, help="folder; a dated subfolder is written in it")
    parser.add_argument("--config", default="config.toml")
    parser.set_defaults(func=cmd_backup)

    parser = subparsers.add_parser("restore", help="check a backup and put it in place")
    parser.add_argument("source", type=Path, help="a backup folder (or a database file)")
    parser.add_argument("--config", default="config.toml")
    parser.set_defaults(func=cmd_restore)


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def cmd_backup(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    try:
        result = backup(Path(config.storage.path), config.storage.media_dir, args.dest, utcnow())
    except BackupError as exc:
        print(f"backup failed: {exc}")
        return 1
    print(f"backup written to {result.folder}")
    print(
        f"  database  {result.database.name}  schema version {result.schema_version}, "
        f"{_size(result.database_bytes)}, integrity ok"
    )
    print(f"  media     {result.media_files} file(s), {_size(result.media_bytes)}")
    print(f"  manifest  {result.folder / 'manifest.json'}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    lock = InstanceLock(config.storage.path)
    if not lock.acquire():
        print(f"the bot is running ({lock.path} is locked): stop it first, then restore")
        return 1
    try:
        result = restore(args.source, Path(config.storage.path), config.storage.media_dir, utcnow())
    except BackupError as exc:
        print(f"restore refused: {exc}")
        return 1
    finally:
        lock.release()
    print(f"restored {result.database} (schema version {result.schema_version}, integrity ok)")
    print(f"  media     {result.media_files} file(s) in {config.storage.media_dir}")
    for path in result.kept_aside:
        print(f"  kept      {path}")
    print("start the bot again; it migrates an older schema on start")
    return 0
