"""Faults that are no Telegram error: poisoned rows, a database that refuses writes, a broadcast
that became due while writes failed, and rows written by another process.

The engine runs with the real PTB Bot and TelegramSender against the emulator, on a real SQLite
outbox. The storage faults are injected at the storage boundary (`Database.transaction`): the
COMMIT of every write fails with SQLite's own "database or disk is full" while `full` is set, so
the code under test meets exactly the exception a full disk gives (the test machine cannot be
relied on to mount a small filesystem for an unprivileged user).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from telegram import Bot

from bot.aiohttp_request import AiohttpRequest
from bot.delivery import TelegramSender
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import Limits
from bot.storage import Database
from bot.storage.database import to_db_time, utcnow
from bot.storage.outbox import OutboxStore
from scheduler.delivery import (
    Audience,
    Content,
    Delivery,
    DeliveryEngine,
    Keyboard,
    Sent,
    duplicate_bound,
    workers_for,
)
from scheduler.limiter import RateLimiter
from scheduler.planner import PlannedBroadcast, Planner

BORNE = Audience(municipalities=frozenset({"borne"}))


async def until(predicate: Callable[[], bool], timeout: float) -> None:
    """Wait for a condition that no emulator request signals (the engine is paused)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


class DiskFullDatabase(Database):
    """Every write transaction fails at COMMIT while `full` is set, as on a full disk."""

    full = False
    refused = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with super().transaction() as conn:
            yield conn
            if self.full:
                self.refused += 1
                raise sqlite3.OperationalError("database or disk is full")


@dataclass
class World:
    emu: BotApiEmulator
    db: DiskFullDatabase
    outbox: OutboxStore
    bot: Bot
    chats: list[int]

    def engine(self, rate: float = 1000.0, **kwargs: object) -> DeliveryEngine:
        limiter = RateLimiter(rate)
        workers = workers_for(rate)
        return DeliveryEngine(
            self.outbox,
            TelegramSender(self.bot),
            limiter,
            utcnow,
            workers=workers,
            storage_backoff=0.05,
            storage_backoff_cap=0.2,
            **kwargs,  # type: ignore[arg-type]
        )

    async def add_chats(self, n: int) -> None:
        now = to_db_time(utcnow())
        rows = []
        for i in range(n):
            user = self.emu.add_user(f"Bewoner {i}")
            self.emu.open_private_chat(user.id)
            self.chats.append(user.id)
            rows.append((user.id, now, now, now))
        await self.db.executemany(
            "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, active, "
            "created_at, updated_at, subscribed_at) "
            "VALUES (?, 'private', 'nl', 'borne', 'burglary', 1, 1, ?, ?, ?)",
            rows,
        )

    async def states(self, key: str) -> dict[str, int]:
        return await self.outbox.counts(key)

    def copies(self) -> dict[int, int]:
        return {chat: len(self.emu.sent(chat)) for chat in self.chats}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    # Telegram's limits on, scaled to the engine's 1000/s (paid broadcast would allow it).
    emu = BotApiEmulator(limits=Limits(enabled=True, global_per_second=1200))
    await emu.start()
    db = DiskFullDatabase(tmp_path / "outbox.sqlite3")
    await db.open()
    bot = Bot(emu.token, base_url=emu.base_url, request=AiohttpRequest())
    try:
        async with bot:
            yield World(emu, db, OutboxStore(db), bot, [])
    finally:
        await db.close()
        await emu.stop()


class PoisonedSender:
    """The real sender, except that text messages to some chats raise what no delivery error
    is (a bug)."""

    def __init__(self, inner: TelegramSender, poisoned: set[int]) -> None:
        self.inner, self.poisoned = inner, poisoned

    async def __call__(
        self,
        chat_id: int,
        text: str,
        image: Path | None,
        image_id: str | None = None,
        *,
        keyboard: Keyboard = (),
    ) -> Sent:
        if chat_id in self.poisoned and image is None:
            raise KeyError("a bug in the sender")
        return await self.inner(chat_id, text, image, image_id, keyboard=keyboard)


async def test_poisoned_rows_end_failed_or_retried_and_the_good_ones_all_go_out(
    world: World, tmp_path: Path
) -> None:
    await world.add_chats(20)
    engine = world.engine(rate=100.0)
    engine.send = PoisonedSender(TelegramSender(world.bot), set(world.chats[:4]))
    # One broadcast whose photo was deleted, one whose rows meet a bug for four chats.
    missing = Content({"nl": "Met foto"}, image=tmp_path / "deleted.png")
    await engine.materialize("photo", missing, BORNE, utcnow(), source="t", ref="1")
    await engine.materialize("text", Content({"nl": "Tip"}), BORNE, utcnow(), source="t", ref="2")

    engine.start()  # the background loop, as in the running bot
    try:
        await world.emu.wait_for(lambda: world.emu.stats.messages_sent >= 16, timeout=20)
        await engine.drain()
    finally:
        await engine.stop()

    assert await world.states("photo") == {"failed": 20}
    reasons = await world.db.fetchall(
        "SELECT DISTINCT reason FROM deliveries WHERE broadcast_key = 'photo'"
    )
    assert [r[0] for r in reasons] == ["image unreadable: deleted.png: No such file or directory"]
    assert await world.states("text") == {"sent": 16, "pending": 4}
    poisoned = await world.db.fetchall(
        "SELECT attempts, reason, not_before FROM deliveries "
        "WHERE broadcast_key = 'text' AND state = 'pending'"
    )
    for attempts, reason, not_before in poisoned:
        # Retried with backoff, like any failed attempt; failed after max_attempts.
        assert attempts == 1 and reason == "KeyError: 'a bug in the sender'"
        assert not_before > to_db_time(utcnow())
    assert [m.text for c in world.chats[4:] for m in world.emu.sent(c)] == ["Tip"] * 16
    assert engine.stats.unexpected_errors == 4 and engine.stats.sent == 16


async def test_poisoned_row_fails_after_max_attempts(world: World) -> None:
    await world.add_chats(1)
    now = [datetime(2027, 3, 2, 18, 0, tzinfo=UTC)]
    engine = world.engine(rate=100.0, max_attempts=3)
    engine.now = lambda: now[0]
    engine.limiter = RateLimiter(100.0, per_chat_interval=0)  # the retries go to one chat
    engine.send = PoisonedSender(TelegramSender(world.bot), set(world.chats))
    await engine.materialize("text", Content({"nl": "Tip"}), BORNE, now[0], source="t", ref="1")
    for _ in range(3):
        await engine.drain()
        now[0] += timedelta(minutes=10)
    row = await world.db.fetchone("SELECT state, attempts, reason FROM deliveries")
    assert row is not None
    assert tuple(row) == ("failed", 2, "gave up: KeyError: 'a bug in the sender'")


async def test_disk_full_during_a_broadcast_pauses_and_resumes_without_a_restart(
    world: World,
) -> None:
    await world.add_chats(500)
    engine = world.engine(rate=1000.0)
    key = "alert"
    await engine.materialize(key, Content({"nl": "Let op"}), BORNE, utcnow(), source="t", ref="1")

    world.db.full = True  # every mark from now on fails
    engine.start()
    try:
        # The engine sends until the outcomes it cannot write fill its buffer, then waits:
        # while the disk stays full, never more than a crash could repeat.
        bound = duplicate_bound(engine.workers)
        for refused in (5, 10, 15):
            await until(lambda n=refused: world.db.refused >= n, timeout=20)  # type: ignore[misc]
            assert 0 < world.emu.stats.messages_sent <= bound
        assert engine.storage_failing
        assert await world.states(key) == {"pending": 500}  # nothing could be recorded
        assert set(world.copies().values()) <= {0, 1}  # and nothing was sent twice

        world.db.full = False  # space is back: no restart, no help
        await world.emu.wait_for(lambda: world.emu.stats.messages_sent >= 500, timeout=30)
        await engine.drain()
    finally:
        await engine.stop()

    assert set(world.copies().values()) == {1}  # every chat exactly once
    assert await world.states(key) == {"sent": 500}
    assert world.emu.stats.too_many_requests == 0
    assert not engine.storage_failing and engine.stats.storage_errors >= 10


async def test_drain_gives_up_when_the_database_never_recovers(world: World) -> None:
    await world.add_chats(3)
    engine = world.engine(rate=100.0, storage_patience=0.5)
    await engine.materialize("x", Content({"nl": "Tip"}), BORNE, utcnow(), source="t", ref="1")
    world.db.full = True
    with pytest.raises(Exception, match="refused to record deliveries"):
        await engine.drain()
    world.db.full = False
    assert await world.states("x") == {"pending": 3}  # a restart sends them (within the bound)


async def test_a_broadcast_due_while_writes_fail_is_picked_up_by_the_sweep(world: World) -> None:
    await world.add_chats(5)
    engine = world.engine(rate=100.0)
    planner = Planner(
        store=world.outbox,
        engine=engine,
        now=utcnow,
        tz=UTC,
        catch_up=timedelta(hours=6),
        quiet_start=time(21),
        quiet_end=time(8),
        sweep_every=timedelta(seconds=0.2),
    )
    content = Content({"nl": "Tip van de week"})
    due = utcnow() + timedelta(seconds=1)
    broadcast = PlannedBroadcast("due", "campaign", "1", None, due, False, BORNE, content)
    await world.outbox.plan([broadcast])
    engine.start()
    await planner.start()  # its own scheduler, with a one-shot wake-up at `due`
    try:
        world.db.full = True  # the disk is full when the broadcast becomes due
        await until(lambda: world.db.refused >= 3, timeout=10)
        assert await world.outbox.get_broadcast("due") == ("planned", None)
        world.db.full = False
        await world.emu.wait_for(lambda: world.emu.stats.messages_sent >= 5, timeout=10)
    finally:
        await planner.stop()
        await engine.stop()
    assert set(world.copies().values()) == {1}
    assert (await world.outbox.get_broadcast("due") or ("",))[0] == "materialized"


async def test_rows_written_by_another_process_are_sent_within_seconds(
    world: World, tmp_path: Path
) -> None:
    """`calendar send --now` writes the outbox through its own connection while the bot runs:
    the running engine notices the commit (PRAGMA data_version) instead of its idle wake-up."""
    await world.add_chats(3)
    engine = world.engine(rate=100.0)
    engine.start()
    other = Database(world.db.path)  # another connection, as another process has
    await other.open()
    try:
        await engine.drain()
        await OutboxStore(other).materialize(
            "cli", Content({"nl": "Nu"}), BORNE, utcnow(), None, source="calendar", ref="x"
        )
        # The idle engine would wake by itself only after 60 s.
        await world.emu.wait_for(lambda: world.emu.stats.messages_sent >= 3, timeout=10)
    finally:
        await other.close()
        await engine.stop()
    assert set(world.copies().values()) == {1}


async def test_a_large_broadcast_is_read_on_while_the_workers_send(world: World) -> None:
    """More rows than one read brings (16 per worker): the next rows are read while rows of the
    last read are still to be sent, so a large alert flows without a pause between batches, and
    every row goes out once."""
    await world.add_chats(300)
    engine = world.engine(rate=40.0)  # 4 workers: 64 rows per read
    engine.limiter = RateLimiter(1000.0)  # but no need to wait 7 s at 40/s
    claimed = finished = 0
    sender = engine.send

    async def counting(
        chat_id: int, text: str, image: Path | None, image_id: str | None = None, **more: Any
    ) -> Sent:
        nonlocal finished
        try:
            return await sender(chat_id, text, image, image_id, **more)
        finally:
            finished += 1

    reads: list[int] = []  # rows claimed but not sent yet, at each read of due rows
    due = world.outbox.due

    async def read(now: datetime, limit: int, exclude: Sequence[int]) -> list[Delivery]:
        nonlocal claimed
        reads.append(claimed - finished)
        rows = await due(now, limit, exclude)
        claimed += len(rows)
        return rows

    engine.send = counting
    world.outbox.due = read  # type: ignore[method-assign]
    alert = Content({"nl": "Let op"})
    await engine.materialize("alert", alert, BORNE, utcnow(), source="t", ref="1")
    await engine.drain()
    assert await world.states("alert") == {"sent": 300}
    assert sorted(world.copies().values()) == [1] * 300
    assert sum(1 for waiting in reads if waiting > 0) >= 300 // 64


async def test_a_read_begun_before_an_outcome_is_written_never_resends_the_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen once in a loaded `make test`: a group got the same calendar message twice. The
    background loop's `next_due()` had stepped its statement on the reader connection but not
    fetched it yet, while drain() wrote the row's outcome, released its claim and read the due
    rows: on that one connection the query ran inside the older read transaction, saw the row
    still pending and sent it again. Here that interleaving is held in place, not timed."""
    await world.add_chats(1)
    engine = world.engine(rate=100.0)
    # Neither the engine nor Telegram holds a resend back: what is sent twice arrives twice.
    engine.limiter = RateLimiter(100.0, per_chat_interval=0)
    world.emu.set_limits(enabled=False)
    held: asyncio.Task[datetime | None] | None = None
    stepped, resume = asyncio.Event(), asyncio.Event()
    fetchone = aiosqlite.Cursor.fetchone

    async def fetchone_held(cursor: aiosqlite.Cursor) -> aiosqlite.Row | None:
        if asyncio.current_task() is held:  # executed (first row stepped), not fetched yet
            stepped.set()
            await resume.wait()
        return await fetchone(cursor)

    sender = engine.send

    async def send(
        chat_id: int, text: str, image: Path | None, image_id: str | None = None, **more: Any
    ) -> Sent:
        nonlocal held
        if held is None:  # the row is in flight: the loop's wait reads the next due moment
            held = asyncio.create_task(world.outbox.next_due())
            await stepped.wait()
        return await sender(chat_id, text, image, image_id, **more)

    due = world.outbox.due

    async def due_then_resume(now: datetime, limit: int, exclude: Sequence[int]) -> list[Delivery]:
        if stepped.is_set():  # the outcome is written: the held read goes on from here
            resume.set()
        return await due(now, limit, exclude)

    monkeypatch.setattr(aiosqlite.Cursor, "fetchone", fetchone_held)
    engine.send = send
    world.outbox.due = due_then_resume  # type: ignore[method-assign]
    await engine.materialize("text", Content({"nl": "Tip"}), BORNE, utcnow(), source="t", ref="1")
    await engine.drain()
    assert held is not None
    await held
    assert [m.text for m in world.emu.sent(world.chats[0])] == ["Tip"]
    assert await world.states("text") == {"sent": 1}
