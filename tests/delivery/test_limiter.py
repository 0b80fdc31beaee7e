"""The broadcast rate limiter, on a fake clock: global pacing, per chat, per group, 429s."""

from __future__ import annotations

import itertools

import pytest

from scheduler.limiter import JITTER, RateLimiter


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


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


async def test_replies_go_before_the_broadcast_and_share_telegrams_30_per_second() -> None:
    clock = Clock()
    rl = limiter(clock, rate=25.0)
    # Four broadcast workers have booked their next slots; then 60 residents write at once.
    bulk = [rl.reserve(chat, False) for chat in range(4)]
    replies = [rl.reserve(1000 + chat, False, bulk=False) for chat in range(60)]
    after = rl.reserve(99, False)
    assert all(isinstance(t, float) for t in [*bulk, *replies, after])
    times = sorted(t for t in [*bulk, *replies, after] if t is not None)
    # Every reply is booked before the broadcast's next send, behind at most 4 booked ones.
    assert after is not None and after > max(t for t in replies if t is not None)
    assert min(t for t in replies if t is not None) <= max(t for t in bulk if t is not None) + 0.05
    # In any second, at most 30 sends of both kinds together.
    window = 1 - 1e-6
    assert max(sum(1 for t in times if s <= t < s + window) for s in times) <= 30
    assert rl.stats.interactive == 60 and rl.stats.bulk == 5


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
