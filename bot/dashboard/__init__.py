"""The advisers' web dashboard: a year calendar, campaigns and insight in a browser, also as a
Telegram Mini App, served by the bot process (README: Dashboard; SECURITY.md: the dashboard).

This package's modules need the `dashboard` extra (aiohttp, Jinja2), except the two addresses
below and `initdata`, which the chat side uses without it.
"""

from __future__ import annotations

from urllib.parse import quote

from bot.config import Config


def app_url(config: Config) -> str:
    """The Mini App's address, for the web_app button."""
    return config.dashboard.public_url.rstrip("/") + "/app"


def login_url(config: Config, code: str) -> str:
    """A one-time login link for a desktop browser."""
    return config.dashboard.public_url.rstrip("/") + "/login?code=" + quote(code)
