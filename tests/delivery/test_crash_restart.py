"""Crash safety of the delivery engine, proven on a real process.

`buurtwacht calendar send` runs as a subprocess against the emulator in this test's event loop.
It is killed with SIGKILL mid-broadcast and started again on the same database; afterwards every
subscribed chat has the message, at most the sends that were in flight at each kill arrived twice,
every outbox row is `sent` with its Telegram message id, and nothing was materialised twice.

No sleeps and no wall-clock assertions: the kill points are counts of what the emulator has
received, and every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.sandbox import BotApiEmulator, Limits
from bot.storage import Database
from bot.storage.database import from_db_time, to_db_time, utcnow
from scheduler.delivery import duplicate_bound, workers_for

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "advice-q1-what-is-pkvw"  # topic burglary, audience both, no image
MUNICIPALITY = "enschede"
N_PRIVATE = 280
N_GROUPS = 120
N_CHATS = N_PRIVATE + N_GROUPS
ENGINE_RATE = 100.0  # [delivery] global_per_second of the subprocess
EMULATOR_RATE = ENGINE_RATE * 30 / 25  # Telegram's real limit over our default ceiling
# The engine's worker pool as the bot sizes it: the most sends that can be between "request
# made" and "row marked".
IN_FLIGHT: int = duplicate_bound(workers_for(ENGINE_RATE))

RUN_TIMEOUT = 60.0  # one complete run: 400 messages at 100/s take about 4 s
KILL_WAIT_TIMEOUT = 30.0


@dataclasses.dataclass
class World:
    emu: BotApiEmulator
    tmp_path: Path
    db_path: Path
    config_path: Path
    chat_ids: list[int]
    runs: int = 0

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TELEGRAM_BOT_TOKEN"] = self.emu.token
        env["PTB_TIMEDELTA"] = "1"
        return env

    async def start(self) -> asyncio.subprocess.Process:
        """`buurtwacht calendar send ENTRY --municipality enschede --now` as a real process."""
        self.runs += 1
        log = (self.tmp_path / f"run{self.runs}.log").open("wb")
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "calendar",
                "send",
                ENTRY,
                "--municipality",
                MUNICIPALITY,
                "--now",
                "--config",
                str(self.config_path),
                env=self.env(),
                cwd=self.tmp_path,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log.close()  # the child has its own copy

    def output(self, run: int) -> str:
        return (self.tmp_path / f"run{run}.log").read_text("utf-8", "replace")

    async def run_to_completion(self) -> None:
        proc = await self.start()
        try:
            code = await asyncio.wait_for(proc.wait(), RUN_TIMEOUT)
        finally:
            await _reap(proc)
        assert code == 0, f"run {self.runs} exited with {code}:\n{self.output(self.runs)}"

    async def run_until_done(self) -> int:
        """Run the command to completion; returns how many runs that took.

        A restart right after a kill resends the rows that were in flight to chats that got the
        message from the killed process a moment ago, and Telegram's per-chat limit (1/s) answers
        429. The engine honours it: the row is parked for `retry_after` and the CLI leaves it
        pending ("the bot will send them"). Here no bot runs, so once the parked rows are due the
        command is run again, as an operator (or the bot at start-up) would.
        """
        for runs in range(1, 4):
            await self.run_to_completion()
            parked = await self.query(
                "SELECT chat_id, not_before, reason FROM deliveries WHERE state = 'pending'"
            )
            if not parked:
                return runs
            assert "still pending" in self.output(self.runs)
            for chat_id, _, reason in parked:
                assert str(reason).startswith("rate limited"), (chat_id, reason)
            latest = max(from_db_time(str(row[1])) for row in parked)
            # Stored times have whole seconds: wait one more so the chat's second has passed.
            delay = (latest - utcnow()).total_seconds() + 1.0
            assert delay <= 5.0, f"rows parked for {delay:.1f} s"
            await asyncio.sleep(max(0.0, delay))
        raise AssertionError(f"rows still pending after {self.runs} runs")

    async def kill_when(self, predicate: Callable[[], bool]) -> None:
        """Start a run and SIGKILL it as soon as `predicate` holds on the emulator's state."""
        proc = await self.start()
        try:
            waiter = asyncio.ensure_future(self.emu.wait_for(predicate, KILL_WAIT_TIMEOUT))
            exited = asyncio.ensure_future(proc.wait())
            done, _ = await asyncio.wait({waiter, exited}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                waiter.result()  # a TimeoutError names the emulator's last calls
                proc.kill()  # SIGKILL: no cleanup, no flush, no lock release but the kernel's
            for task in (waiter, exited):
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            code = await asyncio.wait_for(proc.wait(), 10)
        finally:
            await _reap(proc)
        assert code == -signal.SIGKILL, (
            f"run {self.runs} was to be killed mid-way but exited with {code}:\n"
            f"{self.output(self.runs)}"
        )

    async def query(self, sql: str) -> list[tuple[object, ...]]:
        db = Database(self.db_path)
        await db.open()
        try:
            return [tuple(row) for row in await db.fetchall(sql)]
        finally:
            await db.close()

    async def states(self) -> dict[str, int]:
        rows = await self.query("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
        return {str(state): int(str(n)) for state, n in rows}


async def _reap(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _write_config(tmp_path: Path, db_path: Path, base_url: str) -> Path:
    text = (ROOT / "config.example.toml").read_text("utf-8")
    for old, new in (
        ('path = "buurtwacht.sqlite3"', f'path = "{db_path}"'),
        ('base_url = ""', f'base_url = "{base_url}"'),
        ("global_per_second = 25.0", f"global_per_second = {ENGINE_RATE}"),
        ("paid_broadcast = false", "paid_broadcast = true"),  # allows more than 30/s
    ):
        assert text.count(old) == 1, f"config.example.toml changed: {old!r}"
        text = text.replace(old, new)
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    emu = BotApiEmulator(
        limits=Limits(
            enabled=True,
            global_per_second=EMULATOR_RATE,
            per_chat_per_second=1.0,
            per_group_per_minute=20,
        )
    )
    # Private chats accept messages only after /start; groups need the bot as a member.
    chat_kinds: list[tuple[int, str]] = []
    for i in range(N_PRIVATE):
        user = emu.add_user(f"Bewoner {i}", language_code="nl" if i % 3 else "en")
        emu.send_text(user.id, user.id, "/start")
        chat_kinds.append((user.id, "private"))
    admin = emu.add_user("Buurtapp beheerder")
    for i in range(N_GROUPS):
        chat_kinds.append((emu.add_group(f"Buurtapp {i}", admins=[admin.id]).id, "group"))

    db_path = tmp_path / "buurtwacht.sqlite3"
    db = Database(db_path)
    await db.open()
    now = to_db_time(utcnow())
    try:
        await db.executemany(
            "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, active, "
            "created_at, updated_at, subscribed_at) VALUES (?, ?, ?, ?, 'burglary', 1, 1, ?, ?, ?)",
            [
                (chat_id, kind, "en" if i % 3 == 0 else "nl", MUNICIPALITY, now, now, now)
                for i, (chat_id, kind) in enumerate(chat_kinds)
            ],
        )
        # Bystanders the broadcast must not reach: another municipality, an unsubscribed chat.
        await db.executemany(
            "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, active, "
            "created_at, updated_at) VALUES (?, 'private', 'nl', ?, 'burglary', ?, 1, ?, ?)",
            [(1, "hengelo", 1, now, now), (2, MUNICIPALITY, 0, now, now)],
        )
    finally:
        await db.close()

    await emu.start()
    try:
        yield World(
            emu=emu,
            tmp_path=tmp_path,
            db_path=db_path,
            config_path=_write_config(tmp_path, db_path, emu.base_url),
            chat_ids=[chat_id for chat_id, _ in chat_kinds],
        )
    finally:
        await emu.stop()


async def assert_complete(world: World, kills: int) -> int:
    """Every chat got the entry, every row is sent once; returns the number of duplicates."""
    emu = world.emu
    received = {chat_id: emu.sent(chat_id) for chat_id in world.chat_ids}
    missing = [chat_id for chat_id, msgs in received.items() if not msgs]
    assert not missing, f"{len(missing)} chats never received the entry: {missing[:10]}"
    doubled = {chat_id: len(m) - 1 for chat_id, m in received.items() if len(m) > 1}
    extra = sum(doubled.values())
    assert extra <= IN_FLIGHT * kills, (
        f"{extra} duplicate sends after {kills} kill(s); at most {IN_FLIGHT} per kill may repeat"
    )
    assert emu.stats.messages_sent == N_CHATS + extra  # nothing went anywhere else
    # A 429 can only come from a resend right after a kill (see World.run_until_done).
    assert emu.stats.too_many_requests <= IN_FLIGHT * kills

    rows = await world.query(
        "SELECT chat_id, state, message_id, broadcast_key, attempts FROM deliveries"
    )
    assert len(rows) == N_CHATS, "the outbox was materialised more (or less) than once"
    assert {int(str(r[0])) for r in rows} == set(world.chat_ids)
    broadcasts = await world.query("SELECT key, state, recipients FROM broadcasts")
    assert len(broadcasts) == 1
    key, state, recipients = broadcasts[0]
    assert state == "materialized" and recipients == N_CHATS
    for chat_id, row_state, message_id, row_key, _attempts in rows:
        assert row_state == "sent" and row_key == key, (chat_id, row_state)
        assert message_id is not None
        # The row keeps the id of a message that really arrived in that chat.
        assert message_id in {m.message_id for m in received[int(str(chat_id))]}
    # Every duplicate chat received the same text twice (no other content slipped in).
    for chat_id in doubled:
        assert len({m.html for m in received[chat_id]}) == 1
    return len(doubled)


def requests_reached(emu: BotApiEmulator, target: int) -> Callable[[], bool]:
    return lambda: sum(emu.stats.requests.values()) >= target


async def test_sigkill_mid_broadcast_then_restart_sends_the_rest(world: World) -> None:
    emu = world.emu
    third = N_CHATS // 3
    await world.kill_when(lambda: emu.stats.messages_sent >= third)

    # Died mid-way: the outbox was written whole, part of it is sent, the rest still pending.
    states = await world.states()
    assert sum(states.values()) == N_CHATS
    assert states.get("pending", 0) > 0, states
    assert states.get("sent", 0) > 0, states
    assert set(states) <= {"sent", "pending"}, states
    sent_at_kill = emu.stats.messages_sent
    assert sent_at_kill < N_CHATS

    first_restart = world.runs + 1
    runs = await world.run_until_done()
    assert "resuming what is pending" in world.output(first_restart)

    doubled = await assert_complete(world, kills=1)
    print(
        f"\ncrash test: killed after {sent_at_kill}/{N_CHATS} messages "
        f"(rows at kill: {states}); completed in {runs} more run(s); {doubled} chat(s) received "
        f"the entry twice (bound: {IN_FLIGHT} in flight); 429s: {emu.stats.too_many_requests}"
    )


@pytest.mark.parametrize("seed", [20270203])
async def test_repeated_sigkill_at_random_points(world: World, seed: int) -> None:
    """Kill, restart, kill, restart, kill, restart, complete: the kill points are drawn by a
    seeded RNG as counts of requests the emulator has seen, so a kill may land before the outbox
    is written (right after the process's getMe), while it is written, or in the middle of
    sending."""
    emu = world.emu
    rng = random.Random(seed)
    kills = 0
    points: list[int] = []
    for _ in range(3):
        delivered = emu.stats.messages_sent
        remaining = N_CHATS - delivered
        if remaining < 20:
            break
        seen = sum(emu.stats.requests.values())
        # +1 is the new process's getMe (sent just before it materialises the outbox).
        target = seen + rng.randint(1, remaining // 2)
        points.append(target - seen)
        await world.kill_when(requests_reached(emu, target))
        kills += 1
        states = await world.states()
        assert set(states) <= {"sent", "pending"}, states
        assert sum(states.values()) in (0, N_CHATS), "a half-written outbox"

    runs = await world.run_until_done()
    doubled = await assert_complete(world, kills=kills)
    print(
        f"\nrandom kills (seed {seed}): {kills} kill(s) at +{points} requests into each run, "
        f"completed in {runs} more run(s); {doubled} chat(s) received the entry twice "
        f"(bound: {IN_FLIGHT} per kill); 429s: {emu.stats.too_many_requests}"
    )


async def test_sigkill_before_the_outbox_is_written(world: World) -> None:
    """Killed as soon as the process reaches Telegram (its getMe, just before it writes the
    outbox): the outbox is either absent or whole, and the restart sends every message once."""
    emu = world.emu
    await world.kill_when(lambda: emu.stats.requests["getMe"] >= 1)
    states = await world.states()
    assert sum(states.values()) in (0, N_CHATS), states

    await world.run_until_done()
    doubled = await assert_complete(world, kills=1)
    print(f"\nkill at getMe: rows at kill {states}; {doubled} chat(s) received the entry twice")
