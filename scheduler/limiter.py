"""The broadcast rate limiter in front of the Bot API.

Written here rather than using PTB's AIORateLimiter, which its maintainers call a minimal
reference: it halts every request on one 429, has no per-private-chat limit and lets bursts over
the group limit through (PTB issues #3772, #5338). This one books a time slot per send:
- globally, slots are spaced 1/rate apart (no burst, so a sliding one-second window never sees
  more than `rate` sends);
- per chat, one send per `per_chat_interval` seconds;
- per group, at most `group_per_minute` sends in any 60 seconds.
A 429 for one chat only pushes that chat back (`penalize`); the others go on.
Booking happens synchronously in `reserve`, so concurrent workers can never take the same slot.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

GROUP_WINDOW = 60.0


class RateLimiter:
    def __init__(
        self,
        global_per_second: float,
        *,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if global_per_second <= 0:
            raise ValueError("global_per_second must be positive")
        self.interval = 1.0 / global_per_second
        self.per_chat_interval = per_chat_interval
        self.group_per_minute = group_per_minute
        self._clock = clock
        self._sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._last_prune = 0.0

    def chat_ready_at(self, chat_id: int, is_group: bool) -> float:
        """The earliest moment the per-chat and per-group limits allow a send to this chat."""
        ready = self._next_chat.get(chat_id, 0.0)
        sends = self._group_sends.get(chat_id)
        if is_group and sends is not None and len(sends) >= self.group_per_minute:
            ready = max(ready, sends[-self.group_per_minute] + GROUP_WINDOW)
        return ready

    def chat_wait(self, chat_id: int, is_group: bool) -> float:
        """Seconds until this chat may receive again (0 when it may now)."""
        return max(0.0, self.chat_ready_at(chat_id, is_group) - self._clock())

    def reserve(self, chat_id: int, is_group: bool) -> float | None:
        """Book the next slot for this chat and return its time, or None when the chat itself is
        not ready yet (the caller waits until `chat_ready_at` and asks again)."""
        now = self._clock()
        if self.chat_ready_at(chat_id, is_group) > now:
            return None
        slot = max(now, self._next_global)
        self._next_global = slot + self.interval
        self._next_chat[chat_id] = slot + self.per_chat_interval
        if is_group:
            sends = self._group_sends.setdefault(chat_id, deque(maxlen=self.group_per_minute))
            sends.append(slot)
        self._prune(now)
        return slot

    async def acquire(self, chat_id: int, is_group: bool) -> None:
        """Wait until a send to `chat_id` is allowed under every limit, and book it."""
        while (slot := self.reserve(chat_id, is_group)) is None:
            await self._sleep(self.chat_wait(chat_id, is_group))
        delay = slot - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def penalize(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds`."""
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), self._clock() + seconds)

    def _prune(self, now: float) -> None:
        """Forget chats whose limits have long expired, so memory stays bounded."""
        if now - self._last_prune < GROUP_WINDOW:
            return
        self._last_prune = now
        stale = now - GROUP_WINDOW
        self._next_chat = {c: t for c, t in self._next_chat.items() if t > stale}
        self._group_sends = {c: d for c, d in self._group_sends.items() if d and d[-1] > stale}
