"""A local Telegram: a Bot API emulator, its control API and a terminal chat for the demo.

Only the demo, the tests and the benchmark import this package (it needs aiohttp, the
``sandbox`` extra); the bot's runtime code never does.
"""

from bot.sandbox.emulator import BotApiEmulator, FailureKind
from bot.sandbox.markup import HtmlError, ParsedText, parse_html
from bot.sandbox.state import (
    BOT_FIRST_NAME,
    BOT_ID,
    BOT_USERNAME,
    Limits,
    SandboxChat,
    SandboxUser,
    SentFile,
    SentMessage,
    Stats,
)

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "BotApiEmulator",
    "FailureKind",
    "HtmlError",
    "Limits",
    "ParsedText",
    "SandboxChat",
    "SandboxUser",
    "SentFile",
    "SentMessage",
    "Stats",
    "parse_html",
]
