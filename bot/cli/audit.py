"""`buurtwacht audit export --since DATE [--out FILE]`: the audit log as CSV (ids only): every
row active since DATE, with how many times a refusal repeated (count) and the last time."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime
from typing import Any, TextIO

from bot.cli.common import add_output, load_or_report, no_database, open_database
from bot.csv_files import write_csv
from bot.files import UnsafeOutput, open_output
from bot.storage.roles import AuditEntry, AuditLog

COLUMNS = ("at", "actor_id", "action", "target", "outcome", "detail", "count", "last_at")


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="the audit log of privileged actions")
    actions = parser.add_subparsers(dest="audit_command", required=True)
    export = actions.add_parser("export", help="write the audit log as CSV")
    export.add_argument("--since", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    export.add_argument("--config", default="config.toml")
    add_output(export, "--out", "CSV file (default: standard output)")
    export.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None or no_database(config):
        return 2
    since = datetime.combine(args.since, datetime.min.time(), tzinfo=config.locale.tz)
    if args.out:
        try:
            with open_output(args.out, force=args.force) as fh:
                count = asyncio.run(export(config.storage.path, since, fh))
        except UnsafeOutput as exc:
            print(exc, file=sys.stderr)
            return 2
        print(f"{count} entries written to {args.out}")
    else:
        asyncio.run(export(config.storage.path, since, sys.stdout))
    return 0


async def export(db_path: str, since: datetime, out: TextIO) -> int:
    async with open_database(db_path) as db:
        entries = await AuditLog(db).since(since)
    write_csv(
        out,
        COLUMNS,
        (_cells(e) for e in entries),
    )
    return len(entries)


def _cells(entry: AuditEntry) -> list[object]:
    values = [getattr(entry, column) for column in COLUMNS]
    return [v.isoformat() if isinstance(v, datetime) else v for v in values]
