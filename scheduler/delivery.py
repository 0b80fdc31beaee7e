"""The delivery engine: sends the durable outbox, at Telegram's pace, and records every outcome.

A delivery is a row before it is a request: `materialize` writes one pending row per
(broadcast, chat) in one transaction; workers then send them and mark each row sent (with the
Telegram message id), failed (with the reason) or skipped. A crash between a send and its mark can
only repeat the sends that were in flight; every pending row is picked up again after a restart.

The engine knows no Telegram: it gets a `Sender` that raises the errors below, and an
`OutboxPort` (implemented by bot/storage/outbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from scheduler.limiter import RateLimiter

log = logging.getLogger(__name__)

# A worker waits this long at most for one chat's limit; longer waits park the row instead.
CHAT_WAIT_IN_WORKER = 1.0


class DeliveryError(Exception):
    """Base of what a Sender may raise; `reason` is stored on the row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """429: Telegram asks to wait `seconds` before sending to this chat again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited: retry after {seconds:g}s")
        self.seconds = seconds


class ChatUnreachable(DeliveryError):
    """Blocked, kicked, deactivated or not found: the chat becomes inactive."""


class ChatMoved(DeliveryError):
    """The group became a supergroup with `new_chat_id`."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Transient(DeliveryError):
    """Timeouts, network errors, 5xx: worth retrying with backoff."""


class Permanent(DeliveryError):
    """Any other refusal (e.g. a bad request): failed, the rest goes on."""


@dataclass(frozen=True)
class Button:
    """A callback button under a broadcast; `coordinators_only`: shown only to chats subscribed
    as WhatsApp group coordinators (bot/feedback/buttons.py decides which buttons there are)."""

    text: str
    data: str
    coordinators_only: bool = False


# Rows of buttons, as InlineKeyboardMarkup lays them out.
Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Content:
    """What a broadcast says: Telegram HTML per locale (nl is the fallback), an image, and the
    buttons under it per locale, built once per broadcast (not per chat)."""

    texts: dict[str, str]
    image: Path | None = None
    buttons: dict[str, Keyboard] = field(default_factory=dict)

    def text(self, locale: str) -> str:
        return self.texts.get(locale) or self.texts.get("nl") or next(iter(self.texts.values()))

    def keyboard(self, locale: str, coordinator: bool = False) -> Keyboard:
        """The buttons for a chat in `locale`; coordinator-only ones only for coordinators."""
        rows = self.buttons.get(locale) or self.buttons.get("nl") or ()
        shown = (tuple(b for b in row if coordinator or not b.coordinators_only) for row in rows)
        return tuple(row for row in shown if row)


@dataclass(frozen=True)
class Audience:
    """Which subscribed, active chats receive a broadcast."""

    municipalities: frozenset[str]
    topic: str | None = None  # None or "all": every topic
    kinds: frozenset[str] = frozenset({"private", "group"})
    neighbourhoods: frozenset[str] | None = None  # None: the whole municipality


@dataclass(frozen=True)
class Delivery:
    id: int
    broadcast_key: str
    chat_id: int
    is_group: bool
    locale: str
    attempts: int
    subscribed: bool
    active: bool
    coordinator: bool = False  # a WhatsApp group coordinator: gets the share button everywhere


class Sender(Protocol):
    async def __call__(
        self, chat_id: int, text: str, image: Path | None, *, keyboard: Keyboard = ()
    ) -> int:
        """Send and return the Telegram message id, or raise a DeliveryError."""


class OutboxPort(Protocol):
    async def materialize(
        self,
        key: str,
        content: Content,
        audience: Audience,
        due: datetime,
        held_until: datetime | None,
        *,
        source: str,
        ref: str,
    ) -> int: ...

    async def due(self, now: datetime, limit: int, exclude: Sequence[int]) -> list[Delivery]: ...

    async def next_due(self) -> datetime | None: ...

    async def content(self, key: str) -> Content: ...

    async def mark_sent(self, delivery_id: int, message_id: int, now: datetime) -> None: ...

    async def mark_failed(self, delivery_id: int, reason: str, now: datetime) -> None: ...

    async def mark_skipped(self, delivery_id: int, reason: str, now: datetime) -> None: ...

    async def retry_at(
        self, delivery_id: int, when: datetime, reason: str, attempt: bool, now: datetime
    ) -> None: ...

    async def deactivate_chat(self, chat_id: int) -> None: ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None: ...

    async def pending_count(self, key: str | None = None) -> int: ...


def workers_for(rate: float) -> int:
    """Concurrent sends needed to keep `rate` msg/s with ~100 ms Telegram round trips; more
    only costs CPU (httpcore scans its whole connection pool per request: bench/fanout.py)."""
    return max(4, math.ceil(rate / 10))


@dataclass
class EngineStats:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    rate_limited: int = 0


@dataclass
class DeliveryEngine:
    outbox: OutboxPort
    send: Sender
    limiter: RateLimiter
    now: Callable[[], datetime]
    max_attempts: int = 5
    workers: int = 32
    # Backoff for transient errors: base * 2^(attempt-1), capped.
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    stats: EngineStats = field(default_factory=EngineStats)

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        # Fetching due rows and claiming them happens under one lock, so a drain() running
        # beside the background loop can never pick a row that is already being sent.
        self._claim = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()
        self._contents: dict[str, Content] = {}
        self._task: asyncio.Task[None] | None = None

    async def materialize(
        self,
        key: str,
        content: Content,
        audience: Audience,
        due: datetime,
        held_until: datetime | None = None,
        *,
        source: str,
        ref: str,
    ) -> int:
        """Write the outbox rows of one broadcast (one transaction) and wake the workers.

        `held_until` delays private chats (quiet hours); groups get it at `due`.
        """
        count = await self.outbox.materialize(
            key, content, audience, due, held_until, source=source, ref=ref
        )
        self.wake()
        return count

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run_forever(), name="delivery-engine")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> None:
        """Send until nothing is due now and nothing is in flight (used by the CLI and tests);
        rows held for later (quiet hours, retry backoff) stay pending."""
        while True:
            if await self._send_batch():
                continue
            if not self._in_flight:
                return
            await self._idle.wait()

    async def _run_forever(self) -> None:
        while True:
            try:
                if await self._send_batch():
                    continue
                await self._sleep_until_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database or a bug: keep the engine alive, the rows stay pending.
                log.exception("delivery loop failed; retrying in 5 s")
                await asyncio.sleep(5)

    async def _sleep_until_next(self) -> None:
        self._wake.clear()
        next_due = await self.outbox.next_due()
        timeout = 60.0
        if next_due is not None:
            timeout = min(timeout, max(0.05, (next_due - self.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _send_batch(self) -> bool:
        """Send every row due now with a pool of workers; False when there was nothing."""
        async with self._claim:
            batch = await self.outbox.due(self.now(), self.workers * 16, sorted(self._in_flight))
            self._in_flight.update(delivery.id for delivery in batch)
        if not batch:
            return False
        self._idle.clear()
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        for delivery in batch:
            queue.put_nowait(delivery)

        async def worker() -> None:
            while not queue.empty():
                delivery = queue.get_nowait()
                try:
                    await self._deliver(delivery)
                finally:
                    self._in_flight.discard(delivery.id)
                    if not self._in_flight:
                        self._idle.set()

        await asyncio.gather(*(worker() for _ in range(min(self.workers, len(batch)))))
        return True

    async def _content(self, key: str) -> Content:
        if key not in self._contents:
            if len(self._contents) > 256:
                self._contents.clear()
            self._contents[key] = await self.outbox.content(key)
        return self._contents[key]

    async def _deliver(self, d: Delivery) -> None:
        outbox = self.outbox
        if not (d.subscribed and d.active):
            await outbox.mark_skipped(d.id, "unsubscribed" if d.active else "inactive", self.now())
            self.stats.skipped += 1
            return
        content = await self._content(d.broadcast_key)
        wait = self.limiter.chat_wait(d.chat_id, d.is_group)
        if wait > CHAT_WAIT_IN_WORKER:
            # A busy group (20/min) or a penalised chat: park the row, keep the worker free.
            when = self.now() + timedelta(seconds=wait)
            await outbox.retry_at(
                d.id, when, "waiting for the chat's rate limit", False, self.now()
            )
            return
        await self.limiter.acquire(d.chat_id, d.is_group)
        try:
            message_id = await self.send(
                d.chat_id,
                content.text(d.locale),
                content.image,
                keyboard=content.keyboard(d.locale, d.coordinator),
            )
        except RetryLater as exc:
            self.stats.rate_limited += 1
            self.limiter.penalize(d.chat_id, exc.seconds)
            when = self.now() + timedelta(seconds=exc.seconds)
            await outbox.retry_at(d.id, when, exc.reason, False, self.now())
        except ChatMoved as exc:
            await outbox.move_chat(d.chat_id, exc.new_chat_id)
            await outbox.retry_at(d.id, self.now(), exc.reason, False, self.now())
            log.info("chat migrated during delivery chat_id=%s", d.chat_id)
        except ChatUnreachable as exc:
            await outbox.deactivate_chat(d.chat_id)
            await outbox.mark_failed(d.id, exc.reason, self.now())
            self.stats.failed += 1
        except Transient as exc:
            if d.attempts + 1 >= self.max_attempts:
                await outbox.mark_failed(d.id, f"gave up: {exc.reason}", self.now())
                self.stats.failed += 1
            else:
                delay = min(self.backoff_cap, self.backoff_base * 2**d.attempts)
                when = self.now() + timedelta(seconds=delay)
                await outbox.retry_at(d.id, when, exc.reason, True, self.now())
                self.stats.retried += 1
        except Permanent as exc:
            await outbox.mark_failed(d.id, exc.reason, self.now())
            self.stats.failed += 1
        else:
            await outbox.mark_sent(d.id, message_id, self.now())
            self.stats.sent += 1
