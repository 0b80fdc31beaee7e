"""Replies, team posts and broadcasts share one budget, with Telegram's flood limits on in the
emulator: everyone gets an answer (no apology that is refused too), a 429 on a reply is sent
again after retry_after, and a burst of advice requests reaches the team group at 20 a minute
without waiting for the next day."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import Limits
from scheduler.limiter import RateLimiter
from tests.advice.flow import NAME, PHONE, POSTCODE, make_team
from tests.harness import BotHarness, make_config

APOLOGY = "Sorry, something went wrong"


class VirtualClock:
    """Telegram's clock for the emulator's limits and the bot's limiter: a wait moves it on at
    once, so minutes of group limits pass in moments (every wait only ever grows the gaps
    between sends, so the limits are checked as strictly as in real time)."""

    def __init__(self) -> None:
        self.t = 10_000.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


async def started(emu: BotApiEmulator, tmp_path: Path, **kwargs: object) -> BotHarness:
    await emu.start()
    # A municipality's hourly cap on advice requests (30 by default) is not what these tests
    # are about: raise it above their burst.
    config = make_config(
        tmp_path, advice={"per_municipality_per_hour": 100, "per_municipality_per_day": 200}
    )
    harness = BotHarness(emu, config, **kwargs)  # type: ignore[arg-type]
    await harness.start()
    return harness


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[tuple[BotApiEmulator, BotHarness]]:
    """Telegram's limits in the emulator (30/s, 1/s per chat, 20/min per group), real time."""
    emu = BotApiEmulator(limits=Limits(enabled=True))
    harness = await started(emu, tmp_path)
    try:
        yield emu, harness
    finally:
        await harness.stop()
        await emu.stop()


def everyone_answered_once(emu: BotApiEmulator, users: list[int]) -> None:
    for user in users:
        texts = [m.text or "" for m in emu.sent(user)]
        assert len(texts) == 1 and "Welcome to Buurtwacht" in texts[0], (user, texts)
        assert not any(APOLOGY in t for t in texts)


async def test_sixty_residents_starting_at_once_all_get_their_answer(
    limited: tuple[BotApiEmulator, BotHarness],
) -> None:
    emu, bot = limited
    users = [emu.add_user(f"Bewoner {i}", language_code="en").id for i in range(60)]
    for user in users:  # as after a poster campaign: all in the same moment
        emu.send_text(user, user, "/start")
    await emu.wait_for(lambda: all(emu.sent(u) for u in users), timeout=30)
    await emu.wait_idle(timeout=30)
    everyone_answered_once(emu, users)
    stats = bot.services.engine.limiter.stats
    assert stats.interactive >= 60
    # Paced at Telegram's 30/s; a reply that still meets a 429 (a request that reached the
    # emulator late) is sent again, never dropped.
    assert emu.stats.too_many_requests == stats.interactive_retries <= 3
    assert stats.interactive_gave_up == 0


async def test_a_429_on_a_reply_is_sent_again_after_retry_after(tmp_path: Path) -> None:
    """Telegram stricter than the bot assumes (15/s instead of 30/s): replies meet 429s, and
    each is sent again after retry_after instead of being dropped."""
    emu = BotApiEmulator(limits=Limits(enabled=True, global_per_second=15))
    bot = await started(emu, tmp_path)
    try:
        users = [emu.add_user(f"Bewoner {i}", language_code="en").id for i in range(40)]
        for user in users:
            emu.send_text(user, user, "/start")
        await emu.wait_for(lambda: all(emu.sent(u) for u in users), timeout=60)
        await emu.wait_idle(timeout=30)
        everyone_answered_once(emu, users)
        stats = bot.services.engine.limiter.stats
        assert emu.stats.too_many_requests > 0
        assert stats.interactive_retries == stats.interactive_rate_limited > 0
        assert stats.interactive_gave_up == 0
    finally:
        await bot.stop()
        await emu.stop()


async def step_all(emu: BotApiEmulator, users: list[int], action: str, value: str) -> None:
    """One step of the advice flow for every resident at once, then wait for the answers."""
    for user in users:
        if action == "say":
            emu.send_text(user, user, value)
        else:
            emu.press(user, user, emu.last(user).message_id, value)
    await emu.wait_idle(timeout=60)


async def test_sixty_advice_requests_reach_the_team_within_its_group_limit(
    tmp_path: Path,
) -> None:
    clock = VirtualClock()
    emu = BotApiEmulator(limits=Limits(enabled=True), clock=clock)
    limiter = RateLimiter(25.0, clock=clock, sleep=clock.sleep)
    bot = await started(emu, tmp_path, limiter=limiter)
    try:
        group, _lead, _member = await make_team(emu, bot)
        users = [emu.add_user(f"Bewoner {i}", language_code="en").id for i in range(60)]
        steps = [
            ("say", "/advice"),
            ("press", "Recent burglary at my home"),
            ("press", "I agree"),
            ("say", POSTCODE),
            ("press", "Yes"),
            ("say", "12a"),
            ("say", NAME),
            ("say", PHONE),
            ("press", "⬜ Saturday"),
            ("press", "Next"),
        ]
        for action, value in steps:
            await step_all(emu, users, action, value)
        assert all("Is everything correct?" in (emu.last(u).text or "") for u in users)
        started_at = clock()
        await step_all(emu, users, "press", "Confirm")

        def posts() -> list[str]:
            return [
                m.text or "" for m in emu.sent(group.id) if "Prevention advice" in (m.text or "")
            ]

        await emu.wait_for(lambda: len(posts()) == 60, timeout=60)
        assert emu.stats.too_many_requests <= 3  # paced at 20 a minute: no 429 storm
        assert clock() - started_at >= 2 * 60  # 60 posts at 20/min: Telegram's pace, not faster
        async with asyncio.timeout(10):  # the poster records each post right after it
            while await bot.services.advice.unposted():  # nobody waits for 09:00
                await asyncio.sleep(0.01)
        confirmations = [emu.last(u).text or "" for u in users]
        assert all("registered as" in t for t in confirmations)
        assert not any(APOLOGY in t for u in users for t in (m.text or "" for m in emu.sent(u)))
        # Told honestly: who had to wait their turn heard so, with a consistent estimate.
        # (How many had to wait depends on how fast the handlers ran against the poster.)
        waiting = [t for t in confirmations if "in line for the team" in t]
        for text in waiting:
            position = int(text.split("yours is number ")[1].split()[0])
            minutes = -(-position // 20)
            assert position >= 2 and f"within about {minutes} minute" in text, text
    finally:
        await bot.stop()
        await emu.stop()
