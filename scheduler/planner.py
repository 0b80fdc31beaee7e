"""Planning broadcasts ahead and turning due ones into outbox rows.

The database is the source of truth: `plan()` writes the coming occurrences as planned broadcast
rows (idempotent by key), `run_due()` materialises every planned row that is due, and APScheduler
only keeps wake-up jobs derived from those rows (rebuilt at every start). APScheduler's own
misfire handling is not relied on (its default grace time of 1 s would silently drop runs missed
during a restart): `run_due()` decides by the row's age, against `catch_up`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.delivery import Audience, Content, DeliveryEngine
from scheduler.quiet import quiet_release

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class PlannedBroadcast:
    key: str  # idempotency key: sent at most once, ever
    source: str  # "calendar", "campaign", "alert", ...
    ref: str  # the entry id or campaign id
    municipality: str | None
    due_at: datetime
    hold_quiet: bool = True  # private chats wait for the end of quiet hours
    audience: Audience | None = None  # stored for campaigns; resolved for calendar entries
    content: Content | None = None


class BroadcastPort(Protocol):
    async def plan(self, broadcasts: Sequence[PlannedBroadcast]) -> None: ...

    async def planned_until(self, until: datetime) -> list[PlannedBroadcast]: ...

    async def skip(self, key: str, reason: str) -> None: ...


# Turns a due broadcast into what to send and to whom, or a reason to skip it.
Resolver = Callable[[PlannedBroadcast], Awaitable[tuple[Content, Audience] | str]]
# Yields the broadcasts of one source (e.g. the calendar) between two local dates.
Source = Callable[[date, date], Sequence[PlannedBroadcast]]


async def stored_resolver(broadcast: PlannedBroadcast) -> tuple[Content, Audience] | str:
    """Campaigns and alerts carry their content and audience in the row itself."""
    if broadcast.content is None or broadcast.audience is None:
        return "no content or audience stored"
    return broadcast.content, broadcast.audience


@dataclass
class Planner:
    store: BroadcastPort
    engine: DeliveryEngine
    now: Callable[[], datetime]
    tz: ZoneInfo
    catch_up: timedelta
    quiet_start: time
    quiet_end: time
    plan_days: int = 14
    sources: Sequence[Source] = ()
    resolvers: dict[str, Resolver] | None = None
    sweep_every: timedelta = SWEEP_EVERY

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._owns_scheduler = False

    async def plan(self) -> int:
        """Write the next `plan_days` of every source as planned rows (existing keys kept)."""
        today = self.now().astimezone(self.tz).date()
        broadcasts = [
            b
            for source in self.sources
            for b in source(today, today + timedelta(days=self.plan_days))
        ]
        await self.store.plan(broadcasts)
        return len(broadcasts)

    async def run_due(self) -> int:
        """Materialise every due planned broadcast; too old ones are skipped with the reason.

        A broadcast that cannot be materialised now (the database refuses writes) stays
        planned: the next sweep tries again, under the same catch-up rule."""
        async with self._lock:
            now = self.now()
            done = 0
            for broadcast in await self.store.planned_until(now):
                try:
                    done += await self._materialize(broadcast, now)
                except Exception as exc:
                    log.warning(
                        "broadcast %s not queued yet (%s: %s); the sweep tries again",
                        broadcast.key,
                        type(exc).__name__,
                        exc,
                    )
            return done

    async def _materialize(self, broadcast: PlannedBroadcast, now: datetime) -> int:
        age = now - broadcast.due_at
        if age > self.catch_up:
            reason = (
                f"missed: due {broadcast.due_at.isoformat()}, "
                f"{age.total_seconds() / 3600:.1f} h ago, beyond the catch-up window "
                f"of {self.catch_up.total_seconds() / 3600:g} h"
            )
            await self.store.skip(broadcast.key, reason)
            log.warning("skipped broadcast %s: %s", broadcast.key, reason)
            return 0
        resolver = (self.resolvers or {}).get(broadcast.source, stored_resolver)
        resolved = await resolver(broadcast)
        if isinstance(resolved, str):
            await self.store.skip(broadcast.key, resolved)
            log.info("skipped broadcast %s: %s", broadcast.key, resolved)
            return 0
        content, audience = resolved
        held = None
        if broadcast.hold_quiet:
            held = quiet_release(
                max(now, broadcast.due_at), self.quiet_start, self.quiet_end, self.tz
            )
        count = await self.engine.materialize(
            broadcast.key,
            content,
            audience,
            broadcast.due_at,
            held,
            source=broadcast.source,
            ref=broadcast.ref,
        )
        log.info("broadcast %s: %d deliveries queued", broadcast.key, count)
        return 1

    # --- wake-ups -------------------------------------------------------------------------

    async def start(self, scheduler: AsyncIOScheduler | None = None) -> None:
        """Plan, catch up, and keep wake-up jobs; call from a running event loop.

        Pass the application's running scheduler (PTB's JobQueue wraps one) to keep a single
        scheduler in the process; without one the planner starts its own.
        """
        self._owns_scheduler = scheduler is None
        if scheduler is None:
            scheduler = AsyncIOScheduler(timezone=self.tz)
            scheduler.start()
        self._scheduler = scheduler
        scheduler.add_job(
            self.replan,
            CronTrigger(hour=0, minute=5, timezone=self.tz),
            id="replan-daily",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        # Due rows are also picked up by this sweep, not only by their one-shot wake-up: a
        # broadcast whose wake-up met a failing database goes out once writes work again.
        scheduler.add_job(
            self.run_due,
            IntervalTrigger(seconds=self.sweep_every.total_seconds()),
            id="sweep-due",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
        await self.replan()

    async def replan(self) -> None:
        """Re-plan, deliver what is due, and rebuild the wake-up jobs from the rows."""
        await self.plan()
        await self.run_due()
        await self.schedule_wakeups()

    async def schedule_wakeups(self) -> None:
        if self._scheduler is None:
            return
        horizon = self.now() + timedelta(days=self.plan_days + 1)
        planned = await self.store.planned_until(horizon)
        wanted = {f"due:{b.key}": b.due_at for b in planned}
        for job in self._scheduler.get_jobs():
            if job.id.startswith("due:") and job.id not in wanted:
                job.remove()
        for job_id, due_at in wanted.items():
            self._scheduler.add_job(
                self.run_due,
                DateTrigger(due_at),
                id=job_id,
                replace_existing=True,
                misfire_grace_time=None,
            )

    def wakeup_ids(self) -> list[str]:
        return [] if self._scheduler is None else sorted(j.id for j in self._scheduler.get_jobs())

    async def stop(self) -> None:
        if self._scheduler is not None:
            if self._owns_scheduler:
                self._scheduler.shutdown(wait=False)
            else:
                for job in self._scheduler.get_jobs():
                    if job.id in ("replan-daily", "sweep-due") or job.id.startswith("due:"):
                        job.remove()
            self._scheduler = None
