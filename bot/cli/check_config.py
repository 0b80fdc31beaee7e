"""`buurtwacht check-config PATH`: print OK or every problem, exit non-zero on any.

In webhook mode the secret's environment variable is checked in the environment check-config
runs in (run it where the bot will run); the token only with --need-token.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import ConfigError, load_config


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("check-config", help="validate a configuration file")
    parser.add_argument("path")
    parser.add_argument(
        "--need-token", action="store_true", help="also require the token variable to be set"
    )
    parser.set_defaults(func=check)


def check(args: argparse.Namespace) -> int:
    try:
        load_config(args.path, need_token=args.need_token, need_webhook_secret=True)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    print("OK")
    return 0
