"""Each Telegram error during a broadcast is handled on purpose: the engine with the real PTB Bot
and TelegramSender against the emulator (no Application, so no update races), on a real SQLite
outbox, with the engine's clock moved by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot

from bot.aiohttp_request import AiohttpRequest
from bot.delivery import TelegramSender
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import Limits
from bot.storage import Database
from bot.storage.chats import ChatStore
from bot.storage.outbox import OutboxStore
from scheduler.delivery import Audience, Content, DeliveryEngine
from scheduler.limiter import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.t = datetime(2027, 3, 2, 18, 0, tzinfo=UTC)
        self.mono = 5000.0

    def now(self) -> datetime:
        return self.t

    def monotonic(self) -> float:
        return self.mono

    async def sleep(self, seconds: float) -> None:
        """The limiter's waits pass on the fake monotonic clock only."""
        self.mono += seconds

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)
        self.mono += seconds


@dataclass
class World:
    emu: BotApiEmulator
    db: Database
    chats: ChatStore
    outbox: OutboxStore
    engine: DeliveryEngine
    time: FakeTime
    keys: int = 0

    async def subscriber(self, *, group: bool = False, known: bool = True) -> int:
        if not known:
            chat_id = 424242  # Telegram never heard of it
        elif group:
            admin = self.emu.add_user("Admin").id
            chat_id = self.emu.add_group("Buurt", admins=[admin], bot_member=False).id
            self.emu.add_bot_to_group(chat_id, admin)
        else:
            chat_id = self.emu.add_user("Resident").id
            self.emu.open_private_chat(chat_id)
        await self.chats.ensure(chat_id, "group" if group else "private", "nl")
        await self.chats.subscribe(
            chat_id,
            municipality="borne",
            neighbourhood=None,
            topics=frozenset({"burglary"}),
            locale="nl",
        )
        return chat_id

    async def broadcast(self, text: str = "<b>Tip</b>: doe de deur op slot") -> str:
        self.keys += 1
        key = f"test:{self.keys}"
        audience = Audience(municipalities=frozenset({"borne"}))
        await self.engine.materialize(
            key, Content({"nl": text}), audience, self.time.now(), source="test", ref=key
        )
        await self.engine.drain()
        return key

    async def row(self, key: str, chat_id: int) -> dict[str, object]:
        row = await self.db.fetchone(
            "SELECT * FROM deliveries WHERE broadcast_key = ? AND chat_id = ?", (key, chat_id)
        )
        assert row is not None
        return dict(row)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    time = FakeTime()
    emu = BotApiEmulator(limits=Limits(enabled=False), clock=time.monotonic)
    emu.timeout_delay = 1.0
    await emu.start()
    db = Database(tmp_path / "outbox.sqlite3")
    await db.open()
    bot = Bot(emu.token, base_url=emu.base_url, request=AiohttpRequest(read_timeout=0.3))
    limiter = RateLimiter(1000, clock=time.monotonic, sleep=time.sleep)
    outbox = OutboxStore(db)
    engine = DeliveryEngine(outbox, TelegramSender(bot), limiter, time.now, max_attempts=3)
    try:
        async with bot:
            yield World(emu, db, ChatStore(db), outbox, engine, time)
    finally:
        await db.close()
        await emu.stop()


async def test_blocked_user_is_deactivated_and_the_rest_goes_on(world: World) -> None:
    blocked, fine = await world.subscriber(), await world.subscriber()
    world.emu.block_bot(blocked)
    key = await world.broadcast()
    row = await world.row(key, blocked)
    assert row["state"] == "failed" and row["reason"] == "Forbidden: bot was blocked by the user"
    assert not (await world.chats.get(blocked)).active  # type: ignore[union-attr]
    assert (await world.row(key, fine))["state"] == "sent"
    assert [m.text for m in world.emu.sent(fine)] == ["Tip: doe de deur op slot"]
    # An inactive chat is not even tried next time.
    key = await world.broadcast()
    assert (
        await world.db.fetchval(
            "SELECT COUNT(*) FROM deliveries WHERE broadcast_key = ? AND chat_id = ?",
            (key, blocked),
        )
        == 0
    )


async def test_kicked_group_and_unknown_chat_are_deactivated(world: World) -> None:
    group = await world.subscriber(group=True)
    unknown = await world.subscriber(known=False)
    admin = world.emu.chat(group).creator or next(iter(world.emu.chat(group).members))
    world.emu.remove_bot_from_group(group, admin)
    key = await world.broadcast()
    kicked = await world.row(key, group)
    assert kicked["reason"] == "Forbidden: bot was kicked from the group chat"
    missing = await world.row(key, unknown)
    assert (missing["state"], missing["reason"]) == ("failed", "chat not found")
    for chat_id in (group, unknown):
        assert not (await world.chats.get(chat_id)).active  # type: ignore[union-attr]


async def test_migrated_group_gets_the_message_at_its_new_id_once(world: World) -> None:
    group = await world.subscriber(group=True)
    new_id = world.emu.migrate_group(group)
    key = await world.broadcast()
    row = await world.row(key, new_id)
    assert row["state"] == "sent" and row["message_id"] is not None
    assert await world.chats.get(group) is None
    assert (await world.chats.get(new_id)).subscribed  # type: ignore[union-attr]
    assert [m.text for m in world.emu.sent(new_id)] == ["Tip: doe de deur op slot"]
    assert world.emu.sent(group)[1:] == []  # nothing but the bot's earlier messages, if any


async def test_timeouts_and_server_errors_are_retried_with_backoff(world: World) -> None:
    chat = await world.subscriber()
    world.emu.fail_next(chat, "server_error", count=1)
    world.emu.fail_next(chat, "timeout", count=1)
    key = await world.broadcast()
    row = await world.row(key, chat)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    world.time.advance(2)  # first backoff: 2 s
    await world.engine.drain()
    row = await world.row(key, chat)
    assert (row["state"], row["attempts"], row["reason"]) == ("pending", 2, "timed out")
    world.time.advance(4)  # second backoff: 4 s
    await world.engine.drain()
    assert (await world.row(key, chat))["state"] == "sent"
    # A timed-out request may have reached Telegram: the one duplicate the design accepts.
    assert 1 <= len(world.emu.sent(chat)) <= 2


async def test_gives_up_after_max_attempts(world: World) -> None:
    chat = await world.subscriber()
    world.emu.fail_next(chat, "server_error", count=10)
    key = await world.broadcast()
    for delay in (2, 4):
        world.time.advance(delay)
        await world.engine.drain()
    row = await world.row(key, chat)
    assert row["state"] == "failed" and str(row["reason"]).startswith("gave up:")
    assert row["attempts"] == 2


async def test_other_bad_request_fails_that_row_only(world: World) -> None:
    bad, good = await world.subscriber(), await world.subscriber()
    world.emu.fail_next(bad, "bad_request", description="Bad Request: message is too long")
    key = await world.broadcast()
    row = await world.row(key, bad)
    assert (row["state"], row["reason"]) == ("failed", "Message is too long")
    assert (await world.chats.get(bad)).active  # type: ignore[union-attr]
    assert (await world.row(key, good))["state"] == "sent"


async def test_429_is_honoured_for_that_chat_without_stopping_others(world: World) -> None:
    chat = await world.subscriber()
    other = await world.subscriber()
    # Telegram allows this chat one message per 10 s: the second broadcast hits a 429.
    world.emu.set_limits(enabled=True, per_chat_per_second=0.1)
    await world.broadcast("first")
    key = await world.broadcast("second")
    row = await world.row(key, chat)
    assert row["state"] == "pending" and str(row["reason"]).startswith("rate limited")
    assert row["attempts"] == 0  # a 429 is not a failed attempt
    assert world.engine.stats.rate_limited >= 1 and world.emu.stats.too_many_requests >= 1
    assert [m.text for m in world.emu.sent(other)][-1] in ("first", "second")
    world.time.advance(11)
    await world.engine.drain()
    assert (await world.row(key, chat))["state"] == "sent"
    assert [m.text for m in world.emu.sent(chat)] == ["first", "second"]
