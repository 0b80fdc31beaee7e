"""One budget for every message the bot sends: replies, team posts and broadcasts.

Telegram allows about 30 messages per second in total, one per second per chat and 20 per minute
per group; paid broadcasts (`allow_paid_broadcast`) may go up to 1000 per second on a track of
their own. This limiter books a time slot per send, synchronously (so concurrent senders can
never take the same slot), against all of those at once:

- interactive sends (replies, edits, team posts; `bulk=False`) and free broadcast sends share one
  track whose slots are at least 1/30 s apart; broadcast sends are also at least
  1/`global_per_second` apart (25/s by default), which leaves the rest for replies;
- replies have priority: a reply takes the earliest slot a broadcast send has booked but not
  used yet (that send books again, behind the reply), and every reply pushes the broadcast's
  next slot behind it, so a reply waits at most one broadcast interval and a burst of replies
  holds the broadcast back until it is answered. Taking booked slots matters because PTB
  handles updates one at a time: 100 residents' /start meet the broadcast one by one, and
  waiting behind every worker's booked slot made that 100 × 160 ms (bench/replies.py: p95
  18 s before, see bench/README.md for after);
- paid broadcast sends use their own track at `global_per_second` (up to 1000/s);
- per chat and per group the same limits hold for every message, whatever its kind.
Every spacing carries `JITTER` seconds on top, so that a request that reaches Telegram a few
milliseconds late can never make two sends look closer than allowed. Booked slots alone are not
enough: when the event loop stalls (a long garbage collection, a slow disk), every sender whose
slot passed meanwhile wakes at once, and that burst plus the next second's regular slots is more
than Telegram allows in one second (bench/fanout.py measured 37-125 × 429 at 1000/s from stalls
of 25-150 ms). So each track also keeps the moments its last sends really left (`SendWindow`)
and holds a send back while a full second's worth left within the last second: a stall then
costs throughput, never a 429. A 429 for one chat only pushes that chat back (`penalize`); 429s
for `GLOBAL_SIGNS` different chats within a second mean the bot's whole budget is spent (another
process on the same token, or Telegram allowing less than configured): broadcasts then pause for
the `retry_after` Telegram gave and go on at half their pace, back to full pace a step per
`RECOVERY` seconds without such a sign, instead of asking again and again (replies still go).
Written here rather than using PTB's AIORateLimiter, which its maintainers call a minimal
reference: it halts every request on one 429, has no per-private-chat limit and lets bursts over
the group limit through (PTB issues #3772, #5338).
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
GLOBAL_SIGNS = 3  # 429s for this many different chats within a second: the whole budget is spent
MAX_SLOWDOWN = 16  # broadcasts never slower than 1/16 of their configured pace
RECOVERY = 30.0  # seconds without a sign before the broadcast pace doubles again


class SendWindow:
    """The moments the last `capacity` sends of one track left: at most `capacity` per second,
    measured when the sends really go, not when they were booked."""

    def __init__(self, per_second: float) -> None:
        self.capacity = max(1, int(per_second / (1.0 + JITTER)))
        self._times: deque[float] = deque(maxlen=self.capacity)

    def __len__(self) -> int:
        """Sends remembered: at most those of the last second."""
        return len(self._times)

    def wait(self, now: float) -> float:
        """Seconds until one more send keeps the last second within capacity."""
        if len(self._times) < self.capacity:
            return 0.0
        return self._times[0] + 1.0 - now

    def record(self, now: float) -> None:
        """Also forgets sends older than a second: they no longer count, and without this a
        track with a large capacity (the tests' and benchmarks' unlimited limiter: about a
        million) kept up to that many moments (bench/soak.py: 5 MB per 100,000 updates)."""
        times = self._times
        while times and times[0] <= now - 1.0:
            times.popleft()
        times.append(now)


@dataclass(slots=True)
class _Booking:
    """A broadcast send's slot on the shared track, until it is due."""

    slot: float
    chat_id: int
    is_group: bool
    taken: bool = False  # a reply took it: the broadcast send books again


@dataclass
class LimiterStats:
    """Counters since start, public for monitoring: what went through, and the 429s."""

    interactive: int = 0  # replies, edits and team posts booked
    bulk: int = 0  # broadcast sends booked
    interactive_rate_limited: int = 0  # 429s on interactive requests
    bulk_rate_limited: int = 0  # 429s on broadcast sends
    interactive_retries: int = 0  # interactive requests sent again after a 429
    interactive_gave_up: int = 0  # interactive requests still refused after every retry
    global_holds: int = 0  # times 429s across chats paused the broadcasts and halved their pace


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
        self._free_window = SendWindow(shared)
        self._bulk_window = SendWindow(global_per_second) if paid else self._free_window
        self.group_per_minute = group_per_minute
        self.stats = LimiterStats()
        self._clock = clock
        self._sleep = sleep
        self._next_free = 0.0  # the shared track: interactive and free broadcast sends
        self._next_bulk = 0.0  # broadcast spacing (its own track when paid)
        self._next_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._booked: deque[_Booking] = deque()  # free broadcast slots, in time order
        self._last_prune = 0.0
        self._signs: deque[tuple[float, int]] = deque()  # (moment, chat) of recent 429s
        self._slowdown = 1  # the broadcast spacing's multiple after 429s across chats
        self._slowed_at = 0.0
        self._held_until = 0.0  # no broadcast send before this moment (after 429s across chats)

    @property
    def tracked_chats(self) -> int:
        """Chats whose limits are remembered (forgotten a minute after their last send)."""
        return len(self._next_chat)

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
        `message=False` (an edit) books only the shared track, not the chat's limits. A
        broadcast send also gets None while 429s across chats hold the broadcasts."""
        booking = self._reserve(chat_id, is_group, bulk=bulk, message=message)
        return booking if booking is None or isinstance(booking, float) else booking.slot

    def _reserve(
        self, chat_id: int, is_group: bool, *, bulk: bool, message: bool
    ) -> _Booking | float | None:
        """`reserve`; a free broadcast send gets its booking, which a reply may take."""
        now = self._clock()
        if message and self.chat_ready_at(chat_id, is_group) > now:
            return None
        if bulk and self._held_until > now:
            return None
        booking: _Booking | None = None
        if bulk and self._slowdown > 1 and now - self._slowed_at >= RECOVERY:
            self._slowdown //= 2
            self._slowed_at = now
        if bulk and self.paid:
            slot = max(now, self._next_bulk)
            self._next_bulk = slot + self.bulk_interval * self._slowdown
        elif bulk:
            slot = self._book_shared(now)
            booking = _Booking(slot, chat_id, is_group)
            self._booked.append(booking)
        else:
            slot = max(now, self._next_free)
            taken = self._take_booked(now, slot)
            if taken is not None:
                slot = taken
            else:
                self._next_free = slot + self.free_interval
                if not self.paid:  # the broadcast's next slot comes after this reply
                    self._next_bulk = max(self._next_bulk, self._next_free)
        if bulk:
            self.stats.bulk += 1
        else:
            self.stats.interactive += 1
        if message:
            self._book_chat(chat_id, is_group, slot)
        self._prune(now)
        return booking or slot

    def _book_shared(self, now: float) -> float:
        slot = max(now, self._next_bulk, self._next_free)
        self._next_bulk = slot + self.bulk_interval * self._slowdown
        self._next_free = slot + self.free_interval
        return slot

    def _book_chat(self, chat_id: int, is_group: bool, slot: float) -> None:
        self._next_chat[chat_id] = slot + self.per_chat_interval
        if is_group:
            sends = self._group_sends.setdefault(chat_id, deque(maxlen=self.group_per_minute))
            sends.append(slot)

    def _take_booked(self, now: float, before: float) -> float | None:
        """The earliest broadcast slot still to come and earlier than `before`, now a reply's."""
        booked = self._booked
        while booked and booked[0].slot < now:
            booked.popleft()  # its send is going out
        for booking in booked:
            if booking.slot >= before:
                return None
            if not booking.taken:
                booking.taken = True
                return booking.slot
        return None

    def _book_again(self, taken: _Booking) -> _Booking:
        """A reply took this broadcast send's slot: a new one behind everything booked, and the
        chat's own booking moves with it (only ever later, so its limits still hold)."""
        booking = _Booking(self._book_shared(self._clock()), taken.chat_id, taken.is_group)
        self._booked.append(booking)
        self._next_chat[booking.chat_id] = max(
            self._next_chat.get(booking.chat_id, 0.0), booking.slot + self.per_chat_interval
        )
        sends = self._group_sends.get(booking.chat_id)
        if booking.is_group and sends is not None and taken.slot in sends:
            sends.remove(taken.slot)
            sends.append(booking.slot)
        return booking

    async def acquire(
        self, chat_id: int, is_group: bool, *, bulk: bool = True, message: bool = True
    ) -> None:
        """Wait until a send to `chat_id` is allowed under every limit, and book it."""
        while (booking := self._reserve(chat_id, is_group, bulk=bulk, message=message)) is None:
            held = self._held_until - self._clock() if bulk else 0.0
            await self._sleep(max(self.chat_wait(chat_id, is_group), held))
        while True:
            slot = booking if isinstance(booking, float) else booking.slot
            delay = slot - self._clock()
            if delay > 0:
                await self._sleep(delay)
            if isinstance(booking, float) or not booking.taken:
                break
            booking = self._book_again(booking)
        window = self._bulk_window if bulk else self._free_window
        while (wait := window.wait(self._clock())) > 0:
            await self._sleep(wait)
        window.record(self._clock())

    def penalize(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds`; and when chats
        all over get one, no broadcast for `seconds` and half the pace after."""
        now = self._clock()
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), now + seconds)
        signs = self._signs
        signs.append((now, chat_id))
        while signs[0][0] < now - 1.0:
            signs.popleft()
        if len({chat for _, chat in signs}) >= GLOBAL_SIGNS:
            signs.clear()
            self._held_until = max(self._held_until, now + seconds)
            self._slowdown = min(MAX_SLOWDOWN, self._slowdown * 2)
            self._slowed_at = now
            self.stats.global_holds += 1

    def _prune(self, now: float) -> None:
        """Forget chats whose limits have long expired, so memory stays bounded."""
        if now - self._last_prune < GROUP_WINDOW:
            return
        self._last_prune = now
        stale = now - GROUP_WINDOW - JITTER
        self._next_chat = {c: t for c, t in self._next_chat.items() if t > stale}
        self._group_sends = {c: d for c, d in self._group_sends.items() if d and d[-1] > stale}
