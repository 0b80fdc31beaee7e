"""The visit's own jobs, derived from rows: the day-before reminder to the resident and the
claimer, and telling the resident "done" once the team's undo window has passed.

`run_visits(app, now)` is the body of a job that runs every minute and once at start-up, so a
restart loses nothing: what is due is read from `advice_requests` each time. A reminder is
marked sent for that very appointment (`reminded_for`), so it goes once per appointment and a
moved appointment gets its own; "done" is marked told (`done_told_at`). A send that fails for
a passing reason (a timeout) stays unmarked and is tried at the next run; a chat that cannot be
reached is marked too (nothing is gained by trying again).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.helpers import mention_html

from bot.advice.visits import UNDO_WINDOW, reminder_due
from bot.handlers.request_notices import member_translator, notify_resident, tell_team
from bot.i18n import Html
from bot.services import BotApplication, BotContext, Services
from bot.storage.advice import AdviceRequest
from bot.telegram_errors import tell

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=1)
# Reminders are looked for this far ahead (the day before, from 10:00, is at most 38 h ahead).
LOOK_AHEAD = timedelta(hours=48)


async def _remind_claimer(app: BotApplication, request: AdviceRequest, now: datetime) -> None:
    """In the claimer's private chat, or in the team group with a mention when the bot cannot
    write to them (or the claimer asked to be forgotten)."""
    services: Services = app.bot_data["services"]
    assert request.planned_for is not None
    for chat_id in (request.claimed_by, request.team_chat_id):
        if chat_id is None:
            continue
        _ = await member_translator(services, chat_id, request.team_chat_id)
        today = request.planned_for.astimezone(_.tz).date() == now.astimezone(_.tz).date()
        values = {
            "time": _.fmt_datetime(request.planned_for, "HH:mm"),
            "reference": request.reference,
            "municipality": services.config.municipality_name(request.municipality),
        }
        text = (
            _("⏰ Today at {time}: the visit for {reference} ({municipality}).", **values)
            if today
            else _("⏰ Tomorrow at {time}: the visit for {reference} ({municipality}).", **values)
        )
        if chat_id == request.claimed_by:
            text += "\n" + _("The details are on the request's message in the team group.")
            if await tell(app.bot, chat_id, text, parse_mode=ParseMode.HTML):
                return
            continue
        if request.claimed_by is not None and request.claimed_by_name:
            text += "\n" + _(
                "For {member}.",
                member=Html(mention_html(request.claimed_by, request.claimed_by_name)),
            )
        await tell_team(app, request, text)


async def send_reminders(app: BotApplication, now: datetime) -> int:
    """The day-before reminders that are due; returns how many appointments were reminded."""
    services: Services = app.bot_data["services"]
    tz = services.config.locale.tz
    sent = 0
    for request in await services.advice.planned_between(now, now + LOOK_AHEAD):
        assert request.planned_for is not None
        if not reminder_due(request.planned_for, now, tz):
            continue
        try:
            await notify_resident(app, request, "reminder", now=now)
            await _remind_claimer(app, request, now)
        except TelegramError as exc:
            log.warning(
                "visit reminder of request id=%s failed: %s", request.id, type(exc).__name__
            )
            continue
        if await services.advice.mark_reminded(request.id, request.planned_for):
            sent += 1
            log.info("visit reminder sent for advice request id=%s", request.id)
    return sent


async def tell_done(app: BotApplication, now: datetime) -> int:
    """The residents of requests marked done longer than UNDO_WINDOW ago hear it now."""
    services: Services = app.bot_data["services"]
    told = 0
    for request in await services.advice.done_untold(now - UNDO_WINDOW):
        try:
            await notify_resident(app, request, "done")
        except TelegramError as exc:
            log.warning("done notice of request id=%s failed: %s", request.id, type(exc).__name__)
            continue
        told += await services.advice.mark_done_told(request.id, now)
    return told


async def run_visits(app: BotApplication, now: datetime) -> tuple[int, int]:
    """The job's body: (reminders sent, done notices sent)."""
    return await send_reminders(app, now), await tell_done(app, now)


async def visits_job(context: BotContext) -> None:
    await run_visits(context.application, context.services.now())


def schedule_visit_jobs(app: BotApplication) -> None:
    if app.job_queue is None:
        raise RuntimeError("PTB's JobQueue is missing; install APScheduler (see pyproject.toml)")
    app.job_queue.run_repeating(visits_job, interval=EVERY, first=0, name="advice-visits")
