"""Wiring: builds the PTB Application around the services and runs its lifecycle.

The lifecycle is written out (initialize, start-up hooks, start, polling or webhook, stop) rather
than using `run_polling`, so that the real run, the demo and the end-to-end tests all go through
the same code inside an event loop they own; `post_init` would only run under `run_polling`.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from telegram import Bot, Update
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.auth import refresh_staff_menu
from bot.config import Config
from bot.delivery import build_engine, build_limiter, build_planner
from bot.feedback.buttons import Buttons
from bot.handlers import register_all
from bot.handlers.feedback import schedule_feedback_jobs
from bot.handlers.topic_offer import schedule_topic_offers
from bot.handlers.visits import schedule_visit_jobs
from bot.i18n import Catalogues
from bot.inspection_reports import start_wijkschouw
from bot.menus import publish_menus
from bot.operations import Operations, operations
from bot.ratelimit import SharedRateLimiter
from bot.selfcheck_reminders import schedule_selfcheck_jobs
from bot.services import BotApplication, BotContext, Services
from bot.storage import Database
from bot.storage.advice import AdviceStore
from bot.storage.alerts import AlertStore
from bot.storage.campaign_drafts import CampaignDraftStore
from bot.storage.campaigns import CampaignStore
from bot.storage.chats import ChatStore
from bot.storage.dashboard import DashboardStore
from bot.storage.feedback import FeedbackStore
from bot.storage.figures import FigureStore
from bot.storage.inspections import InspectionStore
from bot.storage.media import MediaStore
from bot.storage.outbox import OutboxStore
from bot.storage.persistence import SqlitePersistence
from bot.storage.roles import AuditLog, RoleStore
from bot.storage.selfcheck import SelfcheckStore
from bot.storage.teams import TeamStore
from bot.storage.topic_offers import TopicOfferStore
from bot.teamwork import TeamPoster, schedule_advice_jobs
from messages.loader import load_calendar
from scheduler.limiter import RateLimiter

log = logging.getLogger(__name__)


def build_services(config: Config, db: Database) -> Services:
    i18n = Catalogues(config.locale.available, config.locale.default, config.locale.tz)
    calendar = load_calendar()
    feedback = FeedbackStore(db)
    return Services(
        config=config,
        db=db,
        chats=ChatStore(db),
        i18n=i18n,
        advice=AdviceStore(db),
        teams=TeamStore(db),
        calendar=calendar,
        outbox=OutboxStore(db),
        roles=RoleStore(db),
        audit=AuditLog(db),
        campaigns=CampaignStore(db),
        alerts=AlertStore(db),
        figures=FigureStore(db),
        topic_offers=TopicOfferStore(db),
        inspections=InspectionStore(db),
        selfchecks=SelfcheckStore(db),
        media=MediaStore(config.storage.media_dir),
        feedback=feedback,
        buttons=Buttons(config, i18n, feedback, calendar),
        dashboard=DashboardStore(db),
        drafts=CampaignDraftStore(db),
    )


def build_application(
    services: Services,
    token: str,
    *,
    base_url: str = "",
    persistence_interval: float = 1.0,
    limiter: RateLimiter | None = None,
) -> BotApplication:
    """`limiter`: Telegram's limits as the configuration states them, unless given (tests
    against an emulator whose limits are off give one without)."""
    limiter = limiter or build_limiter(services.config)
    builder = (
        ApplicationBuilder()
        .token(token)
        # One budget for every request: replies first, broadcasts within their ceiling.
        .rate_limiter(SharedRateLimiter(limiter))
        # The HTTP layer (aiohttp) comes with the metrics' hooks: ops.instrument below.
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
        services.config, services.outbox, app.bot, lambda: services.now(), limiter
    )
    services.planner = build_planner(
        services.config,
        services.calendar,
        services.outbox,
        services.engine,
        lambda: services.now(),
        buttons=services.buttons,
    )
    services.team_poster = TeamPoster(services, app.bot)
    app.bot_data["services"] = services
    register_all(app)
    return app


def freeze_heap() -> None:
    """Leave what exists after start-up out of every later garbage collection: the modules,
    the Application, its handlers and catalogues live as long as the process, and a full
    collection over them stopped the event loop for 50-150 ms (bench/fanout.py), long enough
    to hold up a broadcast at 1000/s and every reply meanwhile. For `buurtwacht run` only: tests
    start many bots in one process, and frozen objects are never freed."""
    gc.collect()
    gc.freeze()


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
    schedule_visit_jobs(app)
    schedule_topic_offers(app)
    schedule_feedback_jobs(app)
    await start_wijkschouw(app)
    schedule_selfcheck_jobs(app)
    await operations(app).start(app)
    services.engine.start()
    services.team_poster.start()  # posts what waited while the bot was down, then on wake()
    # One scheduler per process: the planner's wake-ups live in PTB's JobQueue scheduler.
    assert app.job_queue is not None
    await services.planner.start(app.job_queue.scheduler)
    if services.config.dashboard.enabled:
        # Imported only when switched on: aiohttp and Jinja2 are the `dashboard` extra.
        from bot.dashboard.server import DashboardServer

        server = DashboardServer(app)
        app.bot_data["dashboard"] = server
        await server.start()


async def on_shutdown(app: BotApplication) -> None:
    services: Services = app.bot_data["services"]
    dashboard = app.bot_data.pop("dashboard", None)
    if dashboard is not None:
        await dashboard.stop()
    await services.planner.stop()
    await services.team_poster.stop()
    await services.engine.stop()
    await operations(app).stop()


async def serve(
    app: BotApplication, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Run until `stop` is set: start-up hooks, then polling or webhook, then a clean stop.

    `ready` is set once updates are being received (the webhook server listens, or polling
    has started), for callers that must not talk to the bot earlier. Webhook mode without a
    usable secret raises ConfigError before anything listens.
    """
    services: Services = app.bot_data["services"]
    tg = services.config.telegram
    # Without a secret anyone who finds the URL could post forged updates: refuse to start.
    secret = services.config.webhook_secret() if tg.mode == "webhook" else None
    async with app:  # initialize (getMe: an invalid token fails here) ... shutdown
        await app.start()
        assert app.updater is not None
        try:
            await on_startup(app)
            if tg.mode == "webhook":
                await app.updater.start_webhook(
                    listen=tg.webhook.listen,
                    port=tg.webhook.port,
                    url_path="telegram",
                    webhook_url=tg.webhook.url,
                    secret_token=secret,
                    allowed_updates=Update.ALL_TYPES,
                )
            else:
                await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0)
            log.info("bot @%s is running (%s)", app.bot.username, tg.mode)
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            # Also after a failed start (a port in use, a full disk): stop what did start, so
            # the real error surfaces instead of PTB's "This Application is still running!".
            if app.updater.running:
                await app.updater.stop()
            await on_shutdown(app)
            await app.stop()
