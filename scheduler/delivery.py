"""The delivery engine: sends the durable outbox, at Telegram's pace, and records every outcome.

A delivery is a row before it is a request: `materialize` writes one pending row per
(broadcast, chat) in one transaction; workers then send them and record each row's outcome: sent
(with the Telegram message id), failed (with the reason), skipped, or pending again for a retry
(with the time and the reason).

Outcomes are written in batches (one transaction for up to `mark_batch` rows), by a write-behind
task: a worker hands its outcome over and sends the next row, it never waits for the disk (at
1000 msg/s a commit that waits for a checkpoint took 30-100 ms, and every worker that waited for
it was a send not made). Until its outcome is written, a row stays claimed in memory: it is never
sent twice by this process, even while the database refuses writes (disk full, read-only); the
engine then stops sending once `mark_capacity` outcomes wait, retries the write with backoff and
goes on by itself when writes work again. A crash can therefore repeat at most the sends in
flight plus the outcomes not yet written: `duplicate_bound(workers)`.

The workers take rows from one queue that is topped up from the outbox while it still holds a
row per worker, so a large broadcast flows without a pause between batches.

Whatever goes wrong with one row (a missing photo, a bug, a database error while reading its
content) ends in that row: failed with the reason, or retried with backoff. A worker never dies
and the loop never spins.

The engine knows no Telegram: it gets a `Sender` that raises the errors below, and an
`OutboxPort` (implemented by bot/storage/outbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from scheduler.limiter import RateLimiter

log = logging.getLogger(__name__)

# A worker waits this long at most for one chat's limit; longer waits park the row instead.
CHAT_WAIT_IN_WORKER = 1.5
# While idle, the outbox is checked this often for rows written by another process (e.g.
# `buurtwacht calendar send --now` while the bot runs): one `PRAGMA data_version` read.
POLL_INTERVAL = 1.0
# The longest an outcome waits in memory before it is written, when fewer than a batch wait.
MAX_MARK_DELAY = 0.2


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
    """Any other refusal (e.g. a bad request, an unreadable image): failed, the rest goes on."""


class StorageUnavailable(RuntimeError):
    """`drain()` gave up: the database refused to record outcomes for too long."""


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
    buttons under it per locale, built once per broadcast (not per chat).

    `image_id` is Telegram's file_id of the image once it was uploaded: the rest of the broadcast
    (and any resend after a restart) refers to it instead of uploading the file again.
    """

    texts: dict[str, str]
    image: Path | None = None
    image_id: str | None = None
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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery row, to be written with others in one transaction.

    `state="pending"` is a retry at `not_before`; `attempt` says whether it counts towards
    `max_attempts`; `deactivate` marks the chat inactive in the same transaction.
    """

    delivery_id: int
    chat_id: int
    state: Literal["sent", "failed", "skipped", "pending"]
    reason: str | None = None
    message_id: int | None = None
    not_before: datetime | None = None
    attempt: bool = False
    deactivate: bool = False


class Sent(NamedTuple):
    message_id: int
    file_id: str | None = None  # the photo's Telegram file_id, when one was sent


class Sender(Protocol):
    async def __call__(
        self,
        chat_id: int,
        text: str,
        image: Path | None,
        image_id: str | None = None,
        *,
        keyboard: Keyboard = (),
    ) -> Sent:
        """Send (the photo by `image_id` when given, else uploaded from `image`) with the
        buttons `keyboard` and return the Telegram message id, or raise a DeliveryError."""


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

    async def next_due(self, exclude: Sequence[int]) -> datetime | None: ...

    async def changed(self) -> bool:
        """True when the outbox may have changed since the last call (any commit, any process)."""

    async def content(self, key: str) -> Content: ...

    async def remember_image(self, key: str, file_id: str) -> None: ...

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Write the outcomes in one transaction."""

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None: ...

    async def pending_count(self, key: str | None = None) -> int: ...


def workers_for(rate: float) -> int:
    """Concurrent sends needed to keep `rate` msg/s with ~100 ms Telegram round trips; more
    only costs CPU (httpcore scans its whole connection pool per request: bench/fanout.py)."""
    return max(4, math.ceil(rate / 10))


def duplicate_bound(workers: int) -> int:
    """The most sends a crash can repeat: those in flight plus outcomes not yet written."""
    return 2 * workers


@dataclass
class EngineStats:
    """Counters since start; read by tests, the CLI and monitoring."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    rate_limited: int = 0
    unexpected_errors: int = 0  # exceptions that were no delivery error (bugs, storage reads)
    storage_errors: int = 0  # failed writes of outcomes (each retried)
    uploads: int = 0  # photos uploaded (the rest of a broadcast reuses the file_id)


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
    # Backoff for failed writes of outcomes (seconds, doubling up to the cap), and how long
    # drain() keeps trying before it raises StorageUnavailable.
    storage_backoff: float = 0.5
    storage_backoff_cap: float = 5.0
    storage_patience: float = 120.0
    poll_interval: float = POLL_INTERVAL
    stats: EngineStats = field(default_factory=EngineStats)

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        # Rows claimed by this process whose outcome is not written yet: excluded from due().
        self._in_flight: set[int] = set()
        # Fetching due rows and claiming them happens under one lock, so a drain() running
        # beside the background loop can never pick a row that is already being sent.
        self._claim = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()
        self._contents: dict[str, Content] = {}
        self._uploading: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        # Outcomes not yet written; at most mark_capacity before sending pauses.
        self._pending: list[Outcome] = []
        self._writing: list[Outcome] = []  # the batch being written
        self._flush_lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None  # the write-behind task, while it runs
        self._last_flush = time.monotonic()
        self._write_retry_at = 0.0
        self._write_failures = 0
        self._failing_since: float | None = None

    @property
    def mark_batch(self) -> int:
        return max(1, self.workers // 2)

    @property
    def mark_capacity(self) -> int:
        return self.workers

    @property
    def storage_failing(self) -> bool:
        """True while outcomes cannot be written (sending is paused once the buffer is full)."""
        return self._failing_since is not None

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
        """Stop the loop and write what is buffered (what cannot be written is sent again
        after a restart, within `duplicate_bound`)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._flush()

    async def drain(self) -> None:
        """Send until nothing is due now and nothing is in flight (used by the CLI and tests);
        rows held for later (quiet hours, retry backoff) stay pending. Raises
        StorageUnavailable when outcomes could not be written for `storage_patience` s."""
        while True:
            if await self._send_batch():
                continue
            if self._pending:
                if not await self._flush():
                    self._check_patience()
                    await asyncio.sleep(self._write_delay())
                continue
            if not self._in_flight:
                return
            # The background loop has a batch out: wait for it, never forever.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), 1.0)
            self._check_patience()

    def _check_patience(self) -> None:
        since = self._failing_since
        if since is not None and time.monotonic() - since > self.storage_patience:
            raise StorageUnavailable(
                f"the database refused to record deliveries for {self.storage_patience:g} s; "
                f"{len(self._pending)} outcome(s) not recorded"
            )

    async def _run_forever(self) -> None:
        failures = 0
        while True:
            try:
                if await self._send_batch():
                    failures = 0
                    continue
                await self._wait_for_work()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Reading the outbox failed (the database, or a bug): the rows stay pending.
                failures += 1
                delay = min(self.storage_backoff_cap, self.storage_backoff * 2 ** (failures - 1))
                log.warning(
                    "delivery loop: %s: %s; retrying in %.1f s", type(exc).__name__, exc, delay
                )
                await asyncio.sleep(delay)

    async def _wait_for_work(self) -> None:
        """Sleep until a row is due, the engine is woken, another process changed the outbox,
        or buffered outcomes may be written again."""
        self._wake.clear()
        if self._pending:
            await self._flush()
        next_due = await self.outbox.next_due(sorted(self._in_flight))
        wait = 60.0
        if next_due is not None:
            wait = min(wait, max(0.0, (next_due - self.now()).total_seconds()))
        if self._pending:
            wait = min(wait, self._write_delay())
        deadline = time.monotonic() + wait
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), min(remaining, self.poll_interval))
                return
            except TimeoutError:
                if await self.outbox.changed():
                    return

    @property
    def _fetch_size(self) -> int:
        return self.workers * 16

    async def _claim_due(self) -> list[Delivery]:
        async with self._claim:
            batch = await self.outbox.due(self.now(), self._fetch_size, sorted(self._in_flight))
            self._in_flight.update(delivery.id for delivery in batch)
        return batch

    async def _send_batch(self) -> bool:
        """Send every row due now with a pool of workers; False when there was nothing."""
        batch = await self._claim_due()
        if not batch:
            return False
        self._idle.clear()
        queue = deque(batch)
        refill: asyncio.Task[None] | None = None
        exhausted = len(batch) < self._fetch_size  # nothing more was due a moment ago

        async def top_up() -> None:
            nonlocal exhausted
            try:
                more = await self._claim_due()
            except Exception as exc:  # the rows stay pending; the loop reads them again
                log.warning("delivery: reading due rows failed: %s: %s", type(exc).__name__, exc)
                more = []
            queue.extend(more)
            exhausted = not more

        async def worker() -> None:
            nonlocal refill
            while True:
                low = len(queue) <= self.workers and not exhausted
                if low and (refill is None or refill.done()):
                    refill = asyncio.create_task(top_up())
                if queue:
                    await self._deliver(queue.popleft())
                elif refill is not None and not refill.done():
                    await asyncio.shield(refill)
                else:
                    return

        try:
            await asyncio.gather(*(worker() for _ in range(min(self.workers, len(batch)))))
        finally:
            if refill is not None and not refill.done():
                refill.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refill
            # Rows claimed but never attempted (a cancelled batch) are free again.
            self._in_flight.difference_update(delivery.id for delivery in queue)
            await self._flush()
        return True

    # --- one row ----------------------------------------------------------------------------

    async def _deliver(self, d: Delivery) -> None:
        """Send one row and buffer its outcome; never raises but CancelledError."""
        try:
            outcome = await self._attempt(d)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.stats.unexpected_errors += 1
            log.warning(
                "delivery id=%s: unexpected %s: %s", d.id, type(exc).__name__, exc, exc_info=exc
            )
            outcome = self._backoff(d, f"{type(exc).__name__}: {exc}")
        self._record(outcome)

    def _backoff(self, d: Delivery, reason: str) -> Outcome:
        """A failed attempt: retried with exponential backoff, failed after max_attempts."""
        if d.attempts + 1 >= self.max_attempts:
            self.stats.failed += 1
            return Outcome(d.id, d.chat_id, "failed", f"gave up: {reason}")
        self.stats.retried += 1
        delay = min(self.backoff_cap, self.backoff_base * 2**d.attempts)
        when = self.now() + timedelta(seconds=delay)
        return Outcome(d.id, d.chat_id, "pending", reason, not_before=when, attempt=True)

    async def _attempt(self, d: Delivery) -> Outcome:
        if not (d.subscribed and d.active):
            self.stats.skipped += 1
            return Outcome(d.id, d.chat_id, "skipped", "unsubscribed" if d.active else "inactive")
        content = await self._content(d.broadcast_key)
        wait = self.limiter.chat_wait(d.chat_id, d.is_group)
        if wait > CHAT_WAIT_IN_WORKER:
            # A busy group (20/min) or a penalised chat: park the row, keep the worker free.
            when = self.now() + timedelta(seconds=wait)
            return Outcome(
                d.id, d.chat_id, "pending", "waiting for the chat's rate limit", not_before=when
            )
        await self._room()
        upload = False
        if content.image is not None and content.image_id is None:
            content = await self._await_upload(d.broadcast_key, content)
            upload = content.image_id is None
        try:
            await self.limiter.acquire(d.chat_id, d.is_group)
            sent = await self.send(
                d.chat_id,
                content.text(d.locale),
                content.image,
                content.image_id,
                keyboard=content.keyboard(d.locale, d.coordinator),
            )
        except RetryLater as exc:
            self.stats.rate_limited += 1
            self.limiter.penalize(d.chat_id, exc.seconds)
            when = self.now() + timedelta(seconds=exc.seconds)
            return Outcome(d.id, d.chat_id, "pending", exc.reason, not_before=when)
        except ChatMoved as exc:
            await self.outbox.move_chat(d.chat_id, exc.new_chat_id)
            log.info("chat migrated during delivery chat_id=%s", d.chat_id)
            return Outcome(d.id, exc.new_chat_id, "pending", exc.reason, not_before=self.now())
        except ChatUnreachable as exc:
            self.stats.failed += 1
            return Outcome(d.id, d.chat_id, "failed", exc.reason, deactivate=True)
        except Transient as exc:
            return self._backoff(d, exc.reason)
        except Permanent as exc:
            self.stats.failed += 1
            return Outcome(d.id, d.chat_id, "failed", exc.reason)
        finally:
            if upload:
                self._uploading.pop(d.broadcast_key).set()
        if upload and sent.file_id:
            await self._remember_image(d.broadcast_key, content, sent.file_id)
        self.stats.sent += 1
        return Outcome(d.id, d.chat_id, "sent", message_id=sent.message_id)

    async def _await_upload(self, key: str, content: Content) -> Content:
        """One worker uploads a broadcast's photo; the others wait for its file_id. Returns the
        content to send (with the file_id once known); the caller uploads when it has none."""
        while (uploading := self._uploading.get(key)) is not None:
            await uploading.wait()
            content = await self._content(key)
            if content.image_id is not None:
                return content
        self._uploading[key] = asyncio.Event()
        return content

    async def _remember_image(self, key: str, content: Content, file_id: str) -> None:
        self.stats.uploads += 1
        self._contents[key] = dataclasses.replace(content, image_id=file_id)
        try:
            await self.outbox.remember_image(key, file_id)
        except Exception as exc:  # kept in memory; after a restart the photo is uploaded again
            log.warning("could not store the photo's file_id of %s: %s", key, exc)

    async def _content(self, key: str) -> Content:
        """The broadcast's content, read once. Workers that missed the cache together each read
        it; the first to finish fills the cache and a later one never overwrites it, which could
        drop the photo's file_id a worker remembered meanwhile (and upload the photo again)."""
        cached = self._contents.get(key)
        if cached is None:
            if len(self._contents) > 256:
                self._contents.clear()
            cached = self._contents.setdefault(key, await self.outbox.content(key))
        return cached

    # --- writing outcomes -------------------------------------------------------------------

    def _record(self, outcome: Outcome) -> None:
        """Buffer an outcome; a batch (or one that waited MAX_MARK_DELAY) is written behind."""
        self._pending.append(outcome)
        if self._writer is None and self._batch_ready():
            self._writer = asyncio.create_task(self._write_behind(), name="delivery-marks")

    def _batch_ready(self) -> bool:
        return bool(self._pending) and (
            len(self._pending) >= self.mark_batch
            or time.monotonic() - self._last_flush >= MAX_MARK_DELAY
        )

    async def _write_behind(self) -> None:
        """Write batches while they are ready; a failed write is retried by whoever needs the
        room (`_room`), the end of the batch, `drain` or the loop's wait."""
        try:
            while self._batch_ready() and await self._flush():
                pass
        finally:
            self._writer = None

    async def _room(self) -> None:
        """Wait while `mark_capacity` outcomes wait to be written: no send without a place to
        record it, so a database that refuses writes pauses sending instead of repeating it."""
        while len(self._pending) + len(self._writing) >= self.mark_capacity:
            if not await self._flush():
                await asyncio.sleep(self._write_delay())

    def _write_delay(self) -> float:
        return max(0.01, self._write_retry_at - time.monotonic())

    async def _flush(self) -> bool:
        """Write every buffered outcome in one transaction; False when the write failed (the
        outcomes stay buffered and their rows claimed) or is backing off."""
        async with self._flush_lock:
            if not self._pending:
                return True
            if time.monotonic() < self._write_retry_at:
                return False
            batch = self._writing = self._pending
            self._pending = []
            try:
                await self.outbox.record(batch, self.now())
            except Exception as exc:
                self._pending[:0] = batch
                self._write_failed(exc)
                return False
            finally:
                self._writing = []
            self._last_flush = time.monotonic()
            if self._failing_since is not None:
                log.warning(
                    "database writable again after %.1f s; delivery goes on",
                    self._last_flush - self._failing_since,
                )
            self._failing_since, self._write_failures = None, 0
            self._in_flight.difference_update(o.delivery_id for o in batch)
            if not self._in_flight:
                self._idle.set()
            if any(o.state == "pending" and o.not_before is not None for o in batch):
                self.wake()
            return True

    def _write_failed(self, exc: Exception) -> None:
        self.stats.storage_errors += 1
        self._write_failures += 1
        delay = self.storage_backoff * 2 ** (self._write_failures - 1)
        self._write_retry_at = time.monotonic() + min(self.storage_backoff_cap, delay)
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            log.error(
                "database refuses to record deliveries (%s: %s); %d outcome(s) kept in memory, "
                "sending pauses at %d; retrying with backoff",
                type(exc).__name__,
                exc,
                len(self._pending),
                self.mark_capacity,
            )
