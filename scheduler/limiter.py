"""One budget for every message the bot sends: replies, team posts and broadcasts.

Telegram allows about 30 messages per second in total, one per second per chat and 20 per minute
per group; paid broadcasts (`allow_paid_broadcast`) may go up to 1000 per second on a track of
their own. This limiter books a time slot per send, synchronously (so concurrent senders can
never take the same slot), against all of those at once:

- interactive sends (replies, edits, team posts; `bulk=False`) and free broadcast sends share one
  track whose slots are at least 1/30 s apart; broadcast sends are also at least
  1/`global_per_second` apart (25/s by default), which leaves the rest for replies;
- replies have priority: a broadcast books at most one slot per worker ahead, and every reply
  pushes the broadcast's next slot behind it, so a reply waits at most for the few broadcast
  slots already booked and a burst of replies holds the broadcast back until it is answered;
- paid broadcast sends use their own track at `global_per_second` (up to 1000/s);
- per chat and per group the same limits hold for every message, whatever its kind.
Every spacing carries `JITTER` seconds on top, so that a request that reaches Telegram a few
milliseconds late can never make two sends look closer than allowed. A 429 for one chat only
pushes that chat back (`penalize`). Written here rather than using PTB's AIORateLimiter, which
its maintainers call a minimal reference: it halts every request on one 429, has no
per-private-chat limit and lets bursts over the group limit through (PTB issues #3772, #5338).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

GROUP_WINDOW = 60.0
FREE_PER_SECOND = 30.0  # Telegram's limit for messages that are no paid broadcast
JITTER = 0.02  # seconds of network delay every spacing allows for


@dataclass
class LimiterStats:
    """Counters since start, public for monitoring: what went through, and the 429s."""

    interactive: int = 0  # replies, edits and team posts booked
    bulk: int = 0  # broadcast sends booked
    interactive_rate_limited: int = 0  # 429s on interactive requests
    bulk_rate_limited: int = 0  # 429s on broadcast sends
    interactive_retries: int = 0  # interactive requests sent again after a 429
    interactive_gave_up: int = 0  # interactive requests still refused after every retry


class RateLimiter:
    def __init__(
        self,
        global_per_second: float,
        *,
        paid: bool = False,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        free_per_second: float = FREE_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if global_per_second <= 0 or free_per_second <= 0:
            raise ValueError("rates must be positive")
        if group_per_minute < 1 or per_chat_interval < 0:
            raise ValueError("group_per_minute must be at least 1, per_chat_interval >= 0")
        self.paid = paid
        self.bulk_interval = (1.0 + JITTER) / global_per_second
        # Unpaid, the broadcast shares the free track, which must then be at least as fast.
        shared = free_per_second if paid else max(free_per_second, global_per_second)
        self.free_interval = (1.0 + JITTER) / shared
        self.per_chat_interval = per_chat_interval + JITTER
        self.group_per_minute = group_per_minute
        self.stats = LimiterStats()
        self._clock = clock
        self._sleep = sleep
        self._next_free = 0.0  # the shared track: interactive and free broadcast sends
        self._next_bulk = 0.0  # broadcast spacing (its own track when paid)
        self._next_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._last_prune = 0.0

    def chat_ready_at(self, chat_id: int, is_group: bool) -> float:
        """The earliest moment the per-chat and per-group limits allow a send to this chat."""
        ready = self._next_chat.get(chat_id, 0.0)
        sends = self._group_sends.get(chat_id)
        if is_group and sends is not None and len(sends) >= self.group_per_minute:
            ready = max(ready, sends[-self.group_per_minute] + GROUP_WINDOW + JITTER)
        return ready

    def chat_wait(self, chat_id: int, is_group: bool) -> float:
        """Seconds until this chat may receive again (0 when it may now)."""
        return max(0.0, self.chat_ready_at(chat_id, is_group) - self._clock())

    def reserve(
        self, chat_id: int, is_group: bool, *, bulk: bool = True, message: bool = True
    ) -> float | None:
        """Book the next slot for a send to this chat and return its time, or None when the
        chat itself is not ready yet (the caller waits until `chat_ready_at` and asks again).
        `message=False` (an edit) books only the shared track, not the chat's limits."""
        now = self._clock()
        if message and self.chat_ready_at(chat_id, is_group) > now:
            return None
        if bulk and self.paid:
            slot = max(now, self._next_bulk)
            self._next_bulk = slot + self.bulk_interval
        elif bulk:
            slot = max(now, self._next_bulk, self._next_free)
            self._next_bulk = slot + self.bulk_interval
            self._next_free = slot + self.free_interval
        else:
            slot = max(now, self._next_free)
            self._next_free = slot + self.free_interval
            if not self.paid:  # the broadcast's next slot comes after this reply
                self._next_bulk = max(self._next_bulk, self._next_free)
        if bulk:
            self.stats.bulk += 1
        else:
            self.stats.interactive += 1
        if message:
            self._next_chat[chat_id] = slot + self.per_chat_interval
            if is_group:
                sends = self._group_sends.setdefault(chat_id, deque(maxlen=self.group_per_minute))
                sends.append(slot)
        self._prune(now)
        return slot

    async def acquire(
        self, chat_id: int, is_group: bool, *, bulk: bool = True, message: bool = True
    ) -> None:
        """Wait until a send to `chat_id` is allowed under every limit, and book it."""
        while (slot := self.reserve(chat_id, is_group, bulk=bulk, message=message)) is None:
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
        stale = now - GROUP_WINDOW - JITTER
        self._next_chat = {c: t for c, t in self._next_chat.items() if t > stale}
        self._group_sends = {c: d for c, d in self._group_sends.items() if d and d[-1] > stale}
