"""`buurtwacht run`: run the bot for real, token from the environment."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from bot.app import build_application, build_services, serve
from bot.cli.common import open_database
from bot.config import Config, ConfigError, load_config
from bot.delivery import AlreadyRunning
from bot.logs import setup_logging


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run the bot with a real Telegram token")
    parser.add_argument("--config", default="config.toml")
    parser.add_argument("--log-level", default="INFO")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, need_token=True)
    except ConfigError as exc:
        print(exc)
        return 2
    token = config.token()
    setup_logging(args.log_level, secrets=[token], fmt=config.logging.format)
    try:
        asyncio.run(run_bot(config, token, config.telegram.base_url))
    except AlreadyRunning as exc:
        print(exc)
        return 1
    return 0


async def run_bot(config: Config, token: str, base_url: str) -> None:
    """Open the database, serve until SIGINT/SIGTERM, close everything."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_database(config.storage.path) as db:
        app = build_application(build_services(config, db), token, base_url=base_url)
        await serve(app, stop)
