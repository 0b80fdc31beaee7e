"""The one-time offer of the topics that became default (holidays, Stop Heling) to the chats
that subscribed before: a message with two buttons, sent by the bot after start-up, never a
silent switch.

The offers are rows (bot/storage/topic_offers.py), written by the schema migration for the
chats subscribed at that moment. Sending shares the delivery engine's rate limiter with the
broadcasts, and private chats are not disturbed in quiet hours. A press counts only from the
chat's own user (a group: one of its administrators, asked of Telegram now), only on the offer
message itself and only once; anything else is answered as outdated and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import CallbackQueryHandler

from bot.auth import may_manage_chat
from bot.i18n import Translator
from bot.services import BotApplication, BotContext, Services
from bot.storage.topic_offers import TopicOffer
from bot.subscription import TOPICS
from bot.telegram_errors import is_unreachable

log = logging.getLogger(__name__)

PREFIX = "offer"
# A 429 or a supergroup move is retried this often; after that the offer waits for a restart.
ATTEMPTS = 3


def _topic_names(_: Translator, topics: Iterable[str]) -> str:
    return ", ".join(_(TOPICS[t]) for t in sorted(topics) if t in TOPICS)


def offer_text(_: Translator, missing: Iterable[str]) -> str:
    return _(
        "<b>New in Buurtwacht</b>\n"
        "New subscribers now also get messages on <b>{topics}</b>. Would you like them too? "
        "Nothing changes unless you say yes.",
        topics=_topic_names(_, missing),
    )


def offer_markup(_: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Yes, add them"), callback_data=f"{PREFIX}:yes")],
            [InlineKeyboardButton(_("No, thank you"), callback_data=f"{PREFIX}:no")],
        ]
    )


async def send_topic_offers(services: Services, bot: Bot) -> int:
    """Send every open offer once, within the engine's rate limits; returns how many went out.

    A crash between a send and its mark can repeat that one offer at the next start; an
    unreachable chat is marked inactive and its offer dropped; a network error leaves the
    offer open for the next start.
    """
    sent = 0
    for offer in await services.topic_offers.unsent():
        if not offer.missing:
            await services.topic_offers.drop(offer.chat_id)
            continue
        message_id = await _send(services, bot, offer)
        if message_id is not None:
            sent += 1
    return sent


async def _send(services: Services, bot: Bot, offer: TopicOffer) -> int | None:
    _ = services.i18n.get(offer.locale)
    chat_id, is_group = offer.chat_id, offer.kind == "group"
    limiter = services.engine.limiter
    for _attempt in range(ATTEMPTS):
        await limiter.acquire(chat_id, is_group)
        try:
            message = await bot.send_message(
                chat_id,
                offer_text(_, offer.missing),
                parse_mode=ParseMode.HTML,
                reply_markup=offer_markup(_),
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            limiter.penalize(
                chat_id, wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            )
            continue
        except ChatMigrated as exc:
            await services.chats.migrate(chat_id, exc.new_chat_id)  # the offer row moves too
            chat_id = exc.new_chat_id
            continue
        except (Forbidden, BadRequest) as exc:
            if is_unreachable(exc):
                await services.chats.set_active(chat_id, False)
            log.info("topic offer not sent chat_id=%s: %s", chat_id, type(exc).__name__)
            await services.topic_offers.drop(chat_id)
            return None
        except TelegramError as exc:  # timeouts, network: try again at the next start
            log.info("topic offer postponed chat_id=%s: %s", chat_id, type(exc).__name__)
            return None
        await services.topic_offers.mark_sent(chat_id, message.message_id)
        return message.message_id
    return None


async def on_offer_button(update: Update, context: BotContext) -> None:
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    _ = await context.translator(update)
    if not await may_manage_chat(update, context):
        await query.answer(
            _("Only the group's administrators can change its subscription."), show_alert=True
        )
        return
    message = query.message
    accept = query.data == f"{PREFIX}:yes"
    added = (
        await context.services.topic_offers.answer(chat.id, message.message_id, accept)
        if message is not None
        else None
    )
    if added is None:
        await query.answer(_("This button is outdated."), show_alert=True)
        return
    if added:
        text = _(
            "Done: you now also get <b>{topics}</b>. Change your topics any time with /settings.",
            topics=_topic_names(_, added),
        )
    elif accept:
        text = _("You already get these messages. Change your topics any time with /settings.")
    else:
        text = _("Fine, nothing has changed. You can add topics any time with /settings.")
    await query.edit_message_text(text, parse_mode=ParseMode.HTML)
    await query.answer()


async def _offers_job(context: BotContext) -> None:
    count = await send_topic_offers(context.services, context.bot)
    if count:
        log.info("topic offers sent: %d", count)


def schedule_topic_offers(app: BotApplication) -> None:
    """Once after start-up; inside quiet hours, when they end (private chats are in it)."""
    services: Services = app.bot_data["services"]
    assert app.job_queue is not None
    release = services.config.quiet_release(services.now())
    app.job_queue.run_once(_offers_job, when=release or 0, name="topic-offers")


def register(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(on_offer_button, pattern=rf"^{PREFIX}:(yes|no)$"))
