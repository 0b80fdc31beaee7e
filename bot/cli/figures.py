"""`buurtwacht figures import FILE.csv`: add (or correct) yearly burglary figures.

The file has the header `municipality,year,burglaries`; every row is checked (three columns, a
known municipality by slug or name, a year up to the current one, a count from 0 to 100,000)
and nothing is imported when any row is wrong; every problem is printed with its line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.advisers.figures import Figure, parse_figures
from bot.cli.common import open_database
from bot.config import ConfigError, load_config
from bot.storage.database import utcnow
from bot.storage.figures import FigureStore


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("figures", help="burglary figures per municipality and year")
    actions = parser.add_subparsers(dest="figures_command", required=True)
    imp = actions.add_parser("import", help="import figures from a CSV file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--config", default="config.toml")
    imp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        data = args.file.read_bytes()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    now = utcnow()
    figures, problems = parse_figures(data, config, now.astimezone(config.locale.tz).year)
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        print("nothing imported", file=sys.stderr)
        return 1
    count = asyncio.run(_import(config.storage.path, figures))
    print(f"{count} figures imported")
    return 0


async def _import(db_path: str, figures: list[Figure]) -> int:
    async with open_database(db_path) as db:
        return await FigureStore(db).import_figures(figures, utcnow())
