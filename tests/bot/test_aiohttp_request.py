"""The bot's HTTP layer (bot/aiohttp_request.py) keeps PTB's contract: every answer and every
transport failure becomes the exception PTB's own HTTPXRequest gives, through the emulator's
real HTTP server and its fault injection."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.aiohttp_request import AiohttpRequest
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import SandboxUser


def started(emu: BotApiEmulator, name: str = "Anna") -> SandboxUser:
    user = emu.add_user(name)
    emu.send_text(user.id, user.id, "/start")
    return user


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    request = AiohttpRequest(read_timeout=2.0)
    async with Bot(
        emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url, request=request
    ) as client:
        yield client


async def test_a_message_with_nested_parameters_arrives_as_sent(
    emu: BotApiEmulator, bot: Bot
) -> None:
    anna = started(emu)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    message = await bot.send_message(
        anna.id, "<b>Let op</b>: inbraak", parse_mode="HTML", reply_markup=keyboard
    )
    sent = emu.last(anna.id)
    assert message.message_id == sent.message_id and message.text == "Let op: inbraak"
    assert sent.html == "<b>Let op</b>: inbraak"
    assert sent.flat_buttons() == [("Ja", "yes")]


async def test_telegrams_refusals_become_ptbs_exceptions(emu: BotApiEmulator, bot: Bot) -> None:
    anna, bert = started(emu), started(emu, "Bert")
    emu.block_bot(bert.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(bert.id, "x")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "x")
    emu.fail_next(anna.id, "bad_request", description="Bad Request: message to reply not found")
    with pytest.raises(BadRequest, match="Message to reply not found"):
        await bot.send_message(anna.id, "x")
    emu.fail_next(anna.id, "server_error")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(anna.id, "x")
    admin = started(emu, "Beheerder")
    group = emu.add_group("Buurt", admins=[admin.id])
    new_id = emu.migrate_group(group.id)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(group.id, "x")
    assert migrated.value.new_chat_id == new_id


async def test_a_429_carries_telegrams_retry_after(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    emu.set_limits(enabled=True)
    await bot.send_message(anna.id, "een")
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(anna.id, "twee")  # one message per second per chat
    assert limited.value.retry_after == timedelta(seconds=1)
    assert [m.text for m in emu.sent(anna.id)] == ["een"]


async def test_a_lost_answer_times_out_though_the_message_was_sent(emu: BotApiEmulator) -> None:
    anna = started(emu)
    emu.timeout_delay = 0.5
    emu.fail_next(anna.id, "timeout")
    async with Bot(
        emu.token, base_url=emu.base_url, request=AiohttpRequest(read_timeout=0.2)
    ) as slow_bot:
        with pytest.raises(TimedOut):
            await slow_bot.send_message(anna.id, "verloren antwoord")
        # A timeout given for one call wins over the default.
        emu.fail_next(anna.id, "timeout")
        await slow_bot.send_message(anna.id, "geduld", read_timeout=3.0)
    assert [m.text for m in emu.sent(anna.id)] == ["verloren antwoord", "geduld"]


async def test_a_full_pool_times_out_without_sending(emu: BotApiEmulator) -> None:
    anna, bert = started(emu), started(emu, "Bert")
    emu.timeout_delay = 0.5
    emu.fail_next(anna.id, "timeout")
    # Waiting for a connection, pooled or new, may take pool_timeout + connect_timeout.
    request = AiohttpRequest(
        connection_pool_size=1, read_timeout=3.0, pool_timeout=0.2, connect_timeout=0.1
    )
    async with Bot(emu.token, base_url=emu.base_url, request=request) as small_bot:
        first = asyncio.create_task(small_bot.send_message(anna.id, "houdt de verbinding bezet"))
        await emu.wait_for(lambda: bool(emu.sent(anna.id)), timeout=5)
        with pytest.raises(TimedOut):
            await small_bot.send_message(bert.id, "wacht op een verbinding")
        await first
    assert emu.sent(bert.id) == []


async def test_no_server_is_a_network_error_not_a_timeout(emu: BotApiEmulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nobody listens once the socket is closed
    async with AiohttpRequest() as request:
        client = Bot(emu.token, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(NetworkError) as failed:
            await client.send_message(1, "x")
    assert not isinstance(failed.value, TimedOut)
    assert "ClientConnectorError" in failed.value.message


async def test_an_error_that_quotes_the_url_does_not_show_the_token(emu: BotApiEmulator) -> None:
    async with AiohttpRequest() as request:
        client = Bot(emu.token, base_url="http://127.0.0.1:99999/bot", request=request)
        with pytest.raises(NetworkError) as failed:
            await client.send_message(1, "x")
    assert "InvalidUrlClientError" in failed.value.message
    assert emu.token not in failed.value.message and "SANDBOX" not in failed.value.message


async def test_a_photo_is_uploaded_once_and_downloads_again(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    first = await bot.send_photo(anna.id, image, caption="<i>Dit</i> huis", parse_mode="HTML")
    assert emu.stats.uploads == 1
    assert emu.last(anna.id).caption == "Dit huis"
    file_id = first.photo[-1].file_id
    await bot.send_photo(anna.id, file_id, caption="nog eens")
    assert emu.stats.uploads == 1  # the second one by Telegram's file_id
    downloaded = await (await bot.get_file(file_id)).download_as_bytearray()
    assert bytes(downloaded) == image


async def test_the_proxy_from_the_environment_is_used_unless_no_proxy_says_otherwise(
    emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = started(emu)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", nowhere)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError):
            await Bot(emu.token, base_url=emu.base_url, request=request).send_message(anna.id, "x")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with AiohttpRequest() as request:
        await Bot(emu.token, base_url=emu.base_url, request=request).send_message(anna.id, "y")
    assert [m.text for m in emu.sent(anna.id)] == ["y"]


async def test_it_can_be_initialized_again_after_a_shutdown(emu: BotApiEmulator) -> None:
    anna = started(emu)
    request = AiohttpRequest()
    client = Bot(emu.token, base_url=emu.base_url, request=request)
    for text in ("een", "twee"):
        async with client:
            await client.send_message(anna.id, text)
    with pytest.raises(NetworkError, match="not initialized"):
        await client.send_message(anna.id, "drie")
    assert [m.text for m in emu.sent(anna.id)] == ["een", "twee"]
