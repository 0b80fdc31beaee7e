"""The `buurtwacht` command (also `python -m bot`).

Each subcommand lives in its own module with an `add(subparsers)` function that registers its
parser and sets `func`; adding a subcommand is one module and one line in SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bot import package_version
from bot.cli import (
    audit,
    backup,
    calendar,
    check_config,
    demo,
    figures,
    init_config,
    report,
    run,
    status,
)
from bot.files import private_umask

SubParsers = Any  # argparse's _SubParsersAction is private
SUBCOMMANDS: list[Callable[[SubParsers], None]] = [
    run.add,
    demo.add,
    check_config.add,
    init_config.add,
    calendar.add,
    audit.add,
    figures.add,
    report.add,
    backup.add,
    status.add,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="buurtwacht", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Every subcommand writes only private things (the database, exports): 0600, 0700.
    try:
        with private_umask():
            result: int = args.func(args)
    except BrokenPipeError:
        # `buurtwacht calendar show ... | head`: the reader left; what is left to print has
        # nowhere to go (Python's advice: point stdout at devnull so the exit flush is quiet).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
