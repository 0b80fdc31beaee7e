"""The running bot's operational side in one place: metrics, the health job, the run record
(last start, heartbeat) and the daily clean-up of campaign photos. `bot/app.py` creates it with the
Application and starts and stops it with the bot.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import datetime

from bot import package_version
from bot.campaign_photos import schedule_campaign_photos_job
from bot.health import HealthMonitor
from bot.metrics import BuilderT, DatabaseErrorLog, Metrics, instrument
from bot.services import BotApplication, BotContext, Services
from bot.storage.database import to_db_time
from bot.storage.operations import OperationsStore

log = logging.getLogger(__name__)

CHECK_SECONDS = 60
# `status --liveness` calls a bot alive while its heartbeat is younger than this.
HEARTBEAT_STALE_SECONDS = 3 * CHECK_SECONDS
ADVICE_STATUSES = ("new", "claimed", "planned", "done", "not_possible", "withdrawn")
DELIVERY_STATES = ("pending", "sent", "failed", "skipped")


class Operations:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.metrics = Metrics()
        self.store = OperationsStore(services.db)
        self.monitor = HealthMonitor(services, self.metrics, self.store)
        self._log_handler = DatabaseErrorLog(self.metrics)

    def instrument(self, builder: BuilderT) -> BuilderT:
        return instrument(builder, self.metrics)

    async def start(self, app: BotApplication) -> None:
        """Called from on_startup, after the engine is built and before updates arrive."""
        services = self.services
        now = services.now()
        for key, value in (
            ("started_at", to_db_time(now)),
            ("heartbeat_at", to_db_time(now)),
            ("version", package_version()),
            ("pid", str(os.getpid())),
        ):
            await self.store.set_state(key, value, now)
        await self.monitor.load()
        logging.getLogger().addHandler(self._log_handler)
        self.metrics.watch_engine(lambda: services.engine.stats)
        await self.refresh(now)
        metrics = services.config.metrics
        if metrics.enabled:
            self.metrics.serve(metrics.host, metrics.port)
            log.info("metrics at http://%s:%d/metrics", metrics.host, self.metrics.port)
        assert app.job_queue is not None
        app.job_queue.run_repeating(health_job, interval=CHECK_SECONDS, name="health")
        schedule_campaign_photos_job(app)

    async def stop(self) -> None:
        logging.getLogger().removeHandler(self._log_handler)
        await self.metrics.stop_serving()

    async def refresh(self, now: datetime) -> None:
        """The gauges that come from the database, and the heartbeat."""
        m, store = self.metrics, self.store
        outbox = await store.outbox(now)
        for state in DELIVERY_STATES:
            m.deliveries.labels(state).set(outbox.by_state.get(state, 0))
        m.outbox_due.set(outbox.due)
        oldest = outbox.oldest_due
        m.outbox_oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        subscriptions = await store.subscriptions()
        for kind in ("private", "group"):
            m.subscriptions.labels(kind).set(subscriptions.get(kind, 0))
        advice = await store.advice_by_status()
        for status in ADVICE_STATUSES:
            m.advice.labels(status).set(advice.get(status, 0))
        m.refreshed.set(now.timestamp())
        await store.set_state("heartbeat_at", to_db_time(now), now)

    async def tick(self, app: BotApplication) -> None:
        """The health job's body: refresh the numbers, then check and announce conditions."""
        now = self.services.now()
        try:
            await self.refresh(now)
        except sqlite3.Error:
            log.exception("metrics refresh failed")
        await self.monitor.check(app.bot, now)


def operations(app: BotApplication) -> Operations:
    ops = app.bot_data["operations"]
    assert isinstance(ops, Operations)
    return ops


async def health_job(context: BotContext) -> None:
    await operations(context.application).tick(context.application)
