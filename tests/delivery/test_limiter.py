"""The broadcast rate limiter, on a fake clock: global pacing, per chat, per group, 429s."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest

from scheduler.limiter import GLOBAL_SIGNS, JITTER, RECOVERY, RateLimiter, SendWindow


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def limiter(clock: Clock, rate: float = 25.0) -> RateLimiter:
    return RateLimiter(rate, clock=clock, sleep=clock.sleep)


async def test_global_slots_are_evenly_spaced() -> None:
    clock = Clock()
    rl = limiter(clock, rate=25.0)
    slots = [rl.reserve(chat, False) for chat in range(100)]
    assert all(s is not None for s in slots)
    times = [s for s in slots if s is not None]
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
    assert gaps == {round((1 + JITTER) / 25, 9)}
    # In any one-second window at most 25 sends: the emulator's sliding window never trips.
    window = 1 - 1e-6  # float sums of 0.04 land a hair early
    assert max(sum(1 for t in times if start <= t < start + window) for start in times) == 25


async def test_one_message_per_second_per_chat() -> None:
    clock = Clock()
    rl = limiter(clock, rate=1000.0)
    assert rl.reserve(7, False) == clock.t
    assert rl.reserve(7, False) is None
    assert rl.chat_wait(7, False) == pytest.approx(1.0 + JITTER)
    await rl.acquire(7, False)
    assert clock.t == pytest.approx(1001.0 + JITTER)


async def test_twenty_per_minute_per_group() -> None:
    clock = Clock()
    rl = limiter(clock, rate=1000.0)
    sent = []
    for _ in range(21):
        await rl.acquire(-5, True)
        sent.append(clock.t)
    # 20 sends one second apart, then the 21st waits until the first leaves the 60 s window.
    assert sent[19] - sent[0] == pytest.approx(19 * (1.0 + JITTER))
    assert sent[20] - sent[0] == pytest.approx(60.0 + JITTER)
    # A private chat is not bound by the group limit.
    clock.t += 1
    for _ in range(25):
        await rl.acquire(42, False)
    assert rl.chat_wait(42, False) == pytest.approx(1.0 + JITTER)


async def test_penalty_only_holds_that_chat() -> None:
    clock = Clock()
    rl = limiter(clock)
    rl.penalize(1, 30)
    assert rl.chat_wait(1, False) == pytest.approx(30.0)
    assert rl.reserve(2, False) is not None


async def test_429s_across_chats_pause_the_broadcast_and_halve_its_pace() -> None:
    """Telegram refusing three different chats within a second: the bot's whole budget is
    spent, so broadcasts wait what Telegram asked and go on slower; replies still go."""
    clock = Clock()
    rl = limiter(clock, rate=25.0)
    interval = (1 + JITTER) / 25
    rl.penalize(1, 5)
    rl.penalize(2, 5)  # a group at its limit and one chat more: no sign of the whole budget
    first = rl.reserve(10, False)
    assert first is not None and first < clock.t + 1
    clock.t += 0.5
    rl.penalize(3, 5)
    assert rl.stats.global_holds == 1
    assert rl.reserve(11, False) is None  # held: the sender waits, nothing is booked
    assert rl.reserve(12, False, bulk=False) == pytest.approx(clock.t)  # a reply is not held
    await rl.acquire(11, False)
    resumed = clock.t
    assert resumed == pytest.approx(1000.5 + 5)
    after = rl.reserve(13, False)
    assert after is not None and after - resumed == pytest.approx(2 * interval)
    # Without another sign for RECOVERY seconds the pace doubles back, a step at a time.
    clock.t = resumed + RECOVERY
    one, two = rl.reserve(14, False), rl.reserve(15, False)
    assert one is not None and two is not None and two - one == pytest.approx(interval)


async def test_a_paid_broadcast_is_held_the_same_way() -> None:
    clock = Clock()
    rl = RateLimiter(1000.0, paid=True, clock=clock, sleep=clock.sleep)
    for chat in range(GLOBAL_SIGNS):
        rl.penalize(chat, 2)
    assert rl.reserve(99, False) is None
    await rl.acquire(99, False)
    assert clock.t == pytest.approx(1002.0)


def test_a_send_window_remembers_only_the_last_second() -> None:
    """Memory follows the real rate, not the capacity (an unlimited limiter's is a million)."""
    window = SendWindow(1e6)
    for i in range(10_000):
        window.record(1000.0 + i / 1000)  # 1000 sends a second for 10 s
    assert len(window) <= 1001
    assert window.wait(1010.0) == 0.0
    full = SendWindow(30)
    for i in range(29):
        full.record(2000.0 + i / 100)
    assert full.wait(2000.5) == pytest.approx(0.5)  # 29 in the last second: wait for the first


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


class VirtualTime:
    """Virtual time for many concurrent senders: sleeps end in time order. With `stall_at`,
    time jumps `stall` seconds ahead once, so every sender whose slot passed meanwhile wakes at
    the same moment, as after a long garbage collection in a busy bot."""

    def __init__(self, stall_at: float | None = None, stall: float = 0.0) -> None:
        self.t = 0.0
        self.stall_at: float | None = stall_at
        self.stall = stall
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.t + seconds, next(self._order), woken))
        await woken

    async def run(self, senders: list[Coroutine[Any, Any, None]]) -> None:
        tasks = [asyncio.create_task(sender) for sender in senders]
        while not all(task.done() for task in tasks):
            for _ in range(3):  # each woken sender runs on to its next sleep or its send
                await asyncio.sleep(0)
            if not self._sleepers:
                continue
            when, _, woken = heapq.heappop(self._sleepers)
            if self.stall_at is not None and when >= self.stall_at:
                self.t, self.stall_at = max(self.t, when) + self.stall, None
            self.t = max(self.t, when)
            woken.set_result(None)
        await asyncio.gather(*tasks)


async def test_replies_go_before_the_broadcast_and_share_telegrams_30_per_second() -> None:
    """Four broadcast workers send at 25/s; two seconds in, 60 residents write, and PTB answers
    them one at a time (the next answer is asked for when the previous one went out). Every
    reply takes the next slot the broadcast had booked: the 60 go out one broadcast interval
    apart and the broadcast waits meanwhile (without taking booked slots, each reply waited
    behind the workers' booked slots: 60 replies took 7.7 s instead of 2.4)."""
    clock = VirtualTime()
    rl = RateLimiter(25.0, clock=clock, sleep=clock.sleep)
    sends: list[tuple[float, str]] = []
    broadcast = iter(range(200))

    async def worker() -> None:
        for chat in broadcast:
            await rl.acquire(chat, False)
            sends.append((clock.t, "broadcast"))

    async def residents() -> None:
        await clock.sleep(2.0)
        for user in range(60):
            await rl.acquire(1000 + user, False, bulk=False)
            sends.append((clock.t, "reply"))

    await clock.run([*(worker() for _ in range(4)), residents()])
    replies = [t for t, kind in sends if kind == "reply"]
    assert len(replies) == 60 and len(sends) == 260
    assert replies[0] - 2.0 <= (1 + JITTER) / 25  # the first waits one broadcast slot at most
    assert replies[-1] - replies[0] == pytest.approx(59 * (1 + JITTER) / 25)
    assert not [t for t, kind in sends if kind == "broadcast" and replies[0] < t < replies[-1]]
    # In any second, at most 30 sends of both kinds together.
    times = sorted(t for t, _ in sends)
    assert max(sum(1 for t in times if s <= t < s + 1 - 1e-6) for s in times) <= 30
    assert rl.stats.interactive == 60 and rl.stats.bulk == 200


async def test_every_message_keeps_the_chat_and_group_limits() -> None:
    clock = Clock()
    rl = limiter(clock, rate=25.0)
    assert rl.reserve(-5, True) is not None  # a broadcast send to a group
    assert rl.reserve(-5, True, bulk=False) is None  # a reply there waits for the chat's second
    assert rl.reserve(-5, True, bulk=False, message=False) is not None  # an edit does not
    for _ in range(19):
        await rl.acquire(-5, True, bulk=False)
    assert rl.chat_wait(-5, True) > 30  # the group's 20 per minute are used up, for everyone


async def test_paid_broadcasts_have_their_own_track() -> None:
    clock = Clock()
    rl = RateLimiter(1000.0, paid=True, clock=clock, sleep=clock.sleep)
    bulk = [rl.reserve(chat, False) for chat in range(500)]
    reply = rl.reserve(5000, False, bulk=False)
    assert reply == clock.t  # not behind the 500 paid sends
    last = bulk[-1]
    assert last is not None and last == pytest.approx(clock.t + 499 * (1 + JITTER) / 1000)


async def test_a_stalled_loop_never_makes_a_burst_over_the_limit() -> None:
    """100 senders booking 1000 paid sends a second; the loop stalls for 100 ms after one
    second. The senders whose slots passed all wake at once: without the send window that burst
    plus the next second's slots were 1,079 sends within one second (Telegram allows 1000)."""
    clock = VirtualTime(stall_at=1.0, stall=0.1)
    rl = RateLimiter(1000.0, paid=True, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    chats = iter(range(4000))

    async def sender() -> None:
        for chat in chats:
            await rl.acquire(chat, False)
            sent.append(clock.t)

    await clock.run([sender() for _ in range(100)])
    assert len(sent) == 4000
    busiest = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent[::10])
    assert busiest <= 980  # 1000/s less the JITTER margin
    # The stall costs its own length and no more: 4000 sends at 980/s, plus 0.1 s.
    assert sent[-1] < 4000 * (1 + JITTER) / 1000 + 0.1 + 0.05
