"""Wiring: builds the PTB Application around the services and runs its lifecycle.

The lifecycle is written out (initialize, start-up hooks, start, polling or webhook, stop) rather
than using `run_polling`, so that the real run, the demo and the end-to-end tests all go through
the same code inside an event loop they own; `post_init` would only run under `run_polling`.
"""

from __future__ import annotations

import asyncio
import logging
import os

from telegram import Bot, Update
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.auth import refresh_staff_menu
from bot.config import Config
from bot.delivery import AlreadyRunning, InstanceLock, build_engine, build_planner
from bot.handlers import register_all
from bot.i18n import Catalogues
from bot.menus import publish_menus
from bot.operations import Operations, operations
from bot.services import BotApplication, BotContext, Services
from bot.storage import Database
from bot.storage.advice import AdviceStore
from bot.storage.alerts import AlertStore
from bot.storage.campaigns import CampaignStore
from bot.storage.chats import ChatStore
from bot.storage.figures import FigureStore
from bot.storage.outbox import OutboxStore
from bot.storage.persistence import SqlitePersistence
from bot.storage.roles import AuditLog, RoleStore
from bot.storage.teams import TeamStore
from bot.teamwork import schedule_advice_jobs
from messages.loader import load_calendar

log = logging.getLogger(__name__)


def build_services(config: Config, db: Database) -> Services:
    i18n = Catalogues(config.locale.available, config.locale.default, config.locale.tz)
    return Services(
        config=config,
        db=db,
        chats=ChatStore(db),
        i18n=i18n,
        advice=AdviceStore(db),
        teams=TeamStore(db),
        calendar=load_calendar(),
        outbox=OutboxStore(db),
        roles=RoleStore(db),
        audit=AuditLog(db),
        campaigns=CampaignStore(db),
        alerts=AlertStore(db),
        figures=FigureStore(db),
    )


def build_application(
    services: Services, token: str, *, base_url: str = "", persistence_interval: float = 1.0
) -> BotApplication:
    builder = (
        ApplicationBuilder()
        .token(token)
        .persistence(SqlitePersistence(services.db, update_interval=persistence_interval))
        .context_types(ContextTypes(context=BotContext))
        # Updates are processed one at a time: ConversationHandler is not safe with concurrency.
        .concurrent_updates(False)
    )
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
    ops = Operations(services)
    app = ops.instrument(builder).build()
    app.bot_data["operations"] = ops
    services.engine = build_engine(
        services.config, services.outbox, app.bot, lambda: services.now()
    )
    services.planner = build_planner(
        services.config, services.calendar, services.outbox, services.engine, lambda: services.now()
    )
    app.bot_data["services"] = services
    register_all(app)
    return app


async def publish_staff_menus(bot: Bot, services: Services) -> None:
    """Every admin (config or granted) and adviser gets their menu in their private chat."""
    staff = set(services.config.admins.user_ids) | {g.user_id for g in await services.roles.all()}
    for user_id in sorted(staff):
        await refresh_staff_menu(bot, services, user_id)


async def on_startup(app: BotApplication) -> None:
    services: Services = app.bot_data["services"]
    await publish_menus(app.bot, services.i18n)
    await publish_staff_menus(app.bot, services)
    schedule_advice_jobs(app)
    await operations(app).start(app)
    services.engine.start()
    # One scheduler per process: the planner's wake-ups live in PTB's JobQueue scheduler.
    assert app.job_queue is not None
    await services.planner.start(app.job_queue.scheduler)


async def on_shutdown(app: BotApplication) -> None:
    services: Services = app.bot_data["services"]
    await services.planner.stop()
    await services.engine.stop()
    await operations(app).stop()


async def serve(
    app: BotApplication, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Run until `stop` is set: start-up hooks, then polling or webhook, then a clean stop.

    `ready` is set once updates are being received (the webhook server listens, or polling
    has started), for callers that must not talk to the bot earlier.
    """
    services: Services = app.bot_data["services"]
    tg = services.config.telegram
    lock = InstanceLock(services.config.storage.path)
    if not lock.acquire():
        raise AlreadyRunning(f"another Buurtwacht process holds {lock.path}; refusing to start")
    try:
        async with app:
            await app.start()
            await on_startup(app)
            assert app.updater is not None
            if tg.mode == "webhook":
                await app.updater.start_webhook(
                    listen=tg.webhook.listen,
                    port=tg.webhook.port,
                    url_path="telegram",
                    webhook_url=tg.webhook.url,
                    secret_token=os.environ.get(tg.webhook.secret_token_env) or None,
                    allowed_updates=Update.ALL_TYPES,
                )
            else:
                await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0)
            log.info("bot @%s is running (%s)", app.bot.username, tg.mode)
            if ready is not None:
                ready.set()
            try:
                await stop.wait()
            finally:
                await app.updater.stop()
                await on_shutdown(app)
                await app.stop()
    finally:
        lock.release()
