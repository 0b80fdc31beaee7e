"""Fixtures for the dashboard: the bot with its dashboard on a free loopback port, and a web
client that keeps cookies like a browser."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from tests.harness import BotHarness, make_config

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/dashboard/login\?code=[\w%-]+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dashboard_config(tmp_path: Path, admin: int, **sections: dict[str, object]) -> Config:
    port = free_port()
    return make_config(
        tmp_path,
        admins={"user_ids": [admin]},
        dashboard={
            "enabled": True,
            "port": port,
            "public_url": f"http://127.0.0.1:{port}/dashboard",
        },
        **sections,
    )


@pytest.fixture
def admin(emu: BotApiEmulator) -> int:
    return emu.add_user("Anna", language_code="nl", username="anna").id


@pytest.fixture
def config(tmp_path: Path, admin: int) -> Config:
    return dashboard_config(tmp_path, admin)


@pytest.fixture
async def web() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe: the cookie jar keeps cookies of an IP address host (127.0.0.1), as browsers do.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def base(bot: BotHarness) -> str:
    return bot.config.dashboard.public_url


async def login_link(emu: BotApiEmulator, user: int) -> str:
    """Send /dashboard as `user` and return the one-time link from the bot's answer."""
    before = len(emu.sent(user))
    emu.send_text(user, user, "/dashboard")
    reply = (await emu.wait_sent(user, before + 1))[-1]
    found = LINK.search(reply.text or "")
    assert found, reply.text
    return found.group(1)


async def sign_in(web: aiohttp.ClientSession, emu: BotApiEmulator, user: int) -> None:
    """Through the one-time link, as a person does: open it, press Log in."""
    link = await login_link(emu, user)
    async with web.get(link) as page:
        code = re.search(r'name="code" value="([^"]+)"', await page.text())
    assert code
    async with web.post(link.split("?")[0], data={"code": code.group(1)}) as answer:
        assert answer.status == 200, await answer.text()
        assert str(answer.url).endswith("/dashboard/calendar")


async def csrf_of(web: aiohttp.ClientSession, url: str) -> str:
    async with web.get(url) as page:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', await page.text())
    assert found
    return found.group(1)
