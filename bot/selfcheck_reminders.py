"""The self-check's "did you fix it?" reminder, four weeks after the check.

The reminder is a row (bot/storage/selfcheck.py), so it survives restarts; a daily job at 10:00
(and once at start-up, for days the bot was down) sends what is due and deletes the row, and
with it the answers. A resident who blocked the bot or is gone loses the row too: nothing is
kept for a message that cannot arrive.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.selfcheck import texts
from bot.selfcheck.scoring import REMIND_AT
from bot.services import BotApplication, BotContext, Services
from bot.teamwork import chat_translator

log = logging.getLogger(__name__)


async def send_due_reminders(services: Services, bot: Bot, now: datetime) -> int:
    """Send every reminder due at `now`; returns how many were sent."""
    sent = 0
    config = services.config
    for reminder in await services.selfchecks.due(now):
        _ = await chat_translator(services, reminder.user_id, reminder.locale)
        chat = await services.chats.get(reminder.user_id)
        municipality = config.municipality(chat.municipality if chat else None)
        advice = (
            municipality.free_advice
            if municipality
            else any(m.free_advice for m in config.municipalities)
        )
        try:
            await bot.send_message(
                reminder.user_id,
                texts.reminder(_, reminder.answers, advice),
                parse_mode=ParseMode.HTML,
            )
            sent += 1
        except (Forbidden, BadRequest) as exc:
            log.info("self-check reminder dropped for user_id=%s: %s", reminder.user_id, exc)
        except TelegramError as exc:  # a timeout or server error: try again tomorrow
            log.warning("self-check reminder for user_id=%s failed: %s", reminder.user_id, exc)
            continue
        await services.selfchecks.delete(reminder.user_id, reminder.due_at)
    log.info("%d self-check reminder(s) sent", sent)
    return sent


async def selfcheck_daily(context: BotContext) -> None:
    await send_due_reminders(context.services, context.bot, context.services.now())


def schedule_selfcheck_jobs(app: BotApplication) -> None:
    services: Services = app.bot_data["services"]
    assert app.job_queue is not None
    app.job_queue.run_daily(
        selfcheck_daily,
        time=REMIND_AT.replace(tzinfo=services.config.locale.tz),
        name="selfcheck-reminders",
    )
    app.job_queue.run_once(selfcheck_daily, when=0, name="selfcheck-catch-up")
