"""What the subcommands share: loading the configuration, opening the database, and the
output options (`--out`/`--output` with `--force`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from bot.config import Config, ConfigError, load_config
from bot.storage import Database


def load_or_report(path: str | Path) -> Config | None:
    """The configuration at `path`; None after printing its problems to stderr (exit with 2)."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def no_database(config: Config, out: TextIO | None = None) -> bool:
    """True, after saying so (on `out`, default stderr), when the configured database does not
    exist: a command that only reads it (status, audit export, report) would otherwise create
    an empty one and report zeros, as happens with the wrong --config or working folder."""
    if Path(config.storage.path).is_file():
        return False
    print(
        f"no database at {config.storage.path}: the bot has never run with this config",
        file=out or sys.stderr,
    )
    return True


@asynccontextmanager
async def open_database(path: str | Path) -> AsyncIterator[Database]:
    """The database at `path`, opened (and migrated) for the block and closed after it."""
    db = Database(path)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


def add_output(
    parser: argparse.ArgumentParser, flag: str, help: str, default: Path | None = None
) -> None:
    """`flag` (a path) and `--force`: an existing file is overwritten only with --force, and
    never through a symlink (bot.files.open_output)."""
    parser.add_argument(flag, type=Path, default=default, help=help)
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")
