"""`buurtwacht run`: run the bot for real, token from the environment."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from bot.app import build_application, build_services, freeze_heap, serve
from bot.cli.common import open_database
from bot.config import Config, ConfigError, load_config
from bot.delivery import InstanceLock
from bot.logs import setup_logging
from bot.startup import report


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run the bot with a real Telegram token")
    parser.add_argument("--config", default="config.toml")
    parser.add_argument("--log-level", default="INFO")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, need_token=True, need_webhook_secret=True)
    except ConfigError as exc:
        print(exc)
        return 2
    token = config.token()
    secrets = config.secrets()
    setup_logging(args.log_level, secrets=secrets, fmt=config.logging.format)
    try:
        asyncio.run(run_bot(config, token, config.telegram.base_url))
    except Exception as exc:
        # One line, no traceback: everything was stopped and closed on the way out.
        print(f"buurtwacht run: {report(exc, config, secrets)}", file=sys.stderr)
        return 1
    return 0


async def run_bot(config: Config, token: str, base_url: str) -> None:
    """Take the instance lock, open the database, serve until SIGINT/SIGTERM, close
    everything (in that order backwards, also when a step fails)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with InstanceLock(config.storage.path):
        async with open_database(config.storage.path) as db:
            app = build_application(build_services(config, db), token, base_url=base_url)
            freeze_heap()
            await serve(app, stop)
