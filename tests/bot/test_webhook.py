"""Webhook mode: the same Application behind PTB's webhook server, with the secret token.

Real HTTP POSTs to the running webhook server: only requests that carry the secret reach the
bot; without a usable secret the bot does not start at all, and the secret never reaches a log.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_application, build_services, serve
from bot.cli import main
from bot.config import Config, ConfigError, WebhookConfig
from bot.logs import setup_logging
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from tests.harness import ROOT, make_config

SECRET = "webhook-secret-for-tests-0123456789abcdef"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Anna"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def webhook_config(tmp_path: Path, port: int) -> Config:
    # listen is left at its default: 127.0.0.1.
    return make_config(
        tmp_path,
        telegram={
            "mode": "webhook",
            "webhook": {"port": port, "url": "https://bot.example.org/telegram"},
        },
    )


@asynccontextmanager
async def running(emu: BotApiEmulator, config: Config) -> AsyncIterator[Database]:
    """The bot serving in webhook mode until the block ends."""
    db = Database(config.storage.path)
    await db.open()
    app = build_application(build_services(config, db), emu.token, base_url=emu.base_url)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(app, stop, ready))
    try:
        waiter = asyncio.ensure_future(ready.wait())
        await asyncio.wait({task, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        assert ready.is_set() and not task.done()
        yield db
    finally:
        stop.set()
        await task
        await db.close()


def test_the_webhook_listens_on_loopback_by_default() -> None:
    assert WebhookConfig().listen == "127.0.0.1"


async def test_only_requests_with_the_secret_reach_the_bot(
    emu: BotApiEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    config = webhook_config(tmp_path, port)
    anna = emu.add_user("Anna", language_code="en").id
    emu.open_private_chat(anna)
    url = f"http://127.0.0.1:{port}/telegram"
    async with running(emu, config) as db, aiohttp.ClientSession() as http:
        assert emu.stats.requests["setWebhook"] == 1
        # Forged: no secret, and a wrong one. Refused before PTB sees the update.
        for update_id, headers in ((1, {}), (2, {HEADER: "wrong"}), (3, {HEADER: SECRET[:-1]})):
            async with http.post(url, json=start_update(update_id, anna), headers=headers) as r:
                assert r.status == 403
        # The real one, from Telegram.
        async with http.post(url, json=start_update(4, anna), headers={HEADER: SECRET}) as r:
            assert r.status == 200
        (reply,) = await emu.wait_sent(anna, 1)
        assert "Welcome to Buurtwacht" in reply.text
        # Only the genuine update reached the bot: one reply, one stored chat.
        assert len(emu.sent(anna)) == 1
        assert await db.fetchval("SELECT COUNT(*) FROM chats") == 1


@pytest.mark.parametrize("secret", [None, "", "too-short-for-a-webhook"])
async def test_webhook_mode_refuses_to_start_without_a_usable_secret(
    emu: BotApiEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    port = free_port()
    if secret is None:
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", secret)
    config = webhook_config(tmp_path, port)
    db = Database(config.storage.path)
    await db.open()
    try:
        app = build_application(build_services(config, db), emu.token, base_url=emu.base_url)
        with pytest.raises(ConfigError) as info:
            await serve(app, asyncio.Event())
    finally:
        await db.close()
    (problem,) = info.value.problems
    assert problem.startswith("telegram.webhook.secret_token_env: environment variable ")
    assert "at least 32 characters" in problem and "\n" not in problem
    assert emu.stats.requests["setWebhook"] == 0
    with pytest.raises(OSError):  # nothing listens
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_run_command_without_a_secret_fails_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "config.example.toml").read_text("utf-8")
    text = text.replace('mode = "polling"', 'mode = "webhook"').replace(
        'url = ""', 'url = "https://bot.example.org/telegram"'
    )
    path = tmp_path / "config.toml"
    path.write_text(text.replace('path = "buurtwacht.sqlite3"', f'path = "{tmp_path}/db"'))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABCdefGHIjklMNOpqrSTUvwxYZ")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    assert main(["run", "--config", str(path)]) == 2
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(problems) == 1 and "TELEGRAM_WEBHOOK_SECRET is not set" in problems[0]
    assert "Traceback" not in out and not (tmp_path / "db").exists()


async def test_the_secret_never_reaches_the_log(
    emu: BotApiEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """At DEBUG PTB logs setWebhook's parameters, secret_token included: it must be masked."""
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    config = webhook_config(tmp_path, free_port())
    setup_logging("DEBUG", secrets=config.secrets())
    try:
        async with running(emu, config):
            pass
        err = capsys.readouterr().err
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    assert "setWebhook" in err and "[redacted]" in err
    assert SECRET not in err
