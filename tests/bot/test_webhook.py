"""Webhook mode: the same Application behind PTB's webhook server, with the secret token."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_application, build_services, serve
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from tests.harness import make_config

SECRET = "webhook-secret-for-tests"


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


async def test_webhook_receives_updates_and_checks_the_secret(
    emu: BotApiEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    config = make_config(
        tmp_path,
        telegram={
            "mode": "webhook",
            "webhook": {
                "listen": "127.0.0.1",
                "port": port,
                "url": "https://bot.example.org/telegram",
            },
        },
    )
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
        assert emu.stats.requests["setWebhook"] == 1
        anna = emu.add_user("Anna", language_code="en").id
        emu.open_private_chat(anna)
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url, json=start_update(1, anna), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ) as response:
                assert response.status == 200
            (reply,) = await emu.wait_sent(anna, 1)
            assert "Welcome to Buurtwacht" in reply.text

            async with http.post(
                url,
                json=start_update(2, anna),
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ) as response:
                assert response.status == 403
        assert len(emu.sent(anna)) == 1
    finally:
        stop.set()
        await task
        await db.close()
