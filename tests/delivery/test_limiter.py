"""The broadcast rate limiter, on a fake clock: global pacing, per chat, per group, 429s."""

from __future__ import annotations

import itertools

import pytest

from scheduler.limiter import RateLimiter


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
    assert gaps == {0.04}
    # In any one-second window at most 25 sends: the emulator's sliding window never trips.
    window = 1 - 1e-6  # float sums of 0.04 land a hair early
    assert max(sum(1 for t in times if start <= t < start + window) for start in times) == 25


async def test_one_message_per_second_per_chat() -> None:
    clock = Clock()
    rl = limiter(clock, rate=1000.0)
    assert rl.reserve(7, False) == clock.t
    assert rl.reserve(7, False) is None
    assert rl.chat_wait(7, False) == pytest.approx(1.0)
    await rl.acquire(7, False)
    assert clock.t == pytest.approx(1001.0)


async def test_twenty_per_minute_per_group() -> None:
    clock = Clock()
    rl = limiter(clock, rate=1000.0)
    sent = []
    for _ in range(21):
        await rl.acquire(-5, True)
        sent.append(clock.t)
    # 20 sends one second apart, then the 21st waits until the first leaves the 60 s window.
    assert sent[19] - sent[0] == pytest.approx(19.0)
    assert sent[20] - sent[0] == pytest.approx(60.0)
    # A private chat is not bound by the group limit.
    clock.t += 1
    for _ in range(25):
        await rl.acquire(42, False)
    assert rl.chat_wait(42, False) == pytest.approx(1.0)


async def test_penalty_only_holds_that_chat() -> None:
    clock = Clock()
    rl = limiter(clock)
    rl.penalize(1, 30)
    assert rl.chat_wait(1, False) == pytest.approx(30.0)
    assert rl.reserve(2, False) is not None


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)
