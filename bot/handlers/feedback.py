"""Presses on the buttons under broadcasts, the admins' switch per calendar entry, the daily
closing of votes, and the low-score marks advisers see in /calendar.

Callback prefixes handled here (bot.feedback.buttons): `fb:<tag>:up|down`, a vote,
and `shr:<tag>`, the share link; `<tag>` stands for the broadcast key.

A press is a claim, not a fact. It counts only when (chat, message id) is a delivery the bot
sent, that delivery's buttons for this chat hold exactly the pressed data, the chat is still
subscribed (after /stop its votes were unlinked, so a new one would count twice), and the
presser is the chat's own user or, in a group, a member now (getChatMember). Anything else is
answered as outdated and changes nothing.

One vote per chat: a message is delivered to a chat, so in a group the vote is the group's.
Any member may cast it and any member may change it; the last press counts. Nothing says who
pressed.

Sharing: a URL button cannot be counted (Telegram reports no tap on it), and the `url` of
answerCallbackQuery opens only a game or a t.me link to the bot itself (Bot API,
answerCallbackQuery). So the message carries a callback button; its press is counted and
answered by editing the message's keyboard: the share button becomes a URL button with the
wa.me link, which the presser taps to open WhatsApp and choose the group. In a private chat
only that user sees it; in a group every member sees the link from then on, so a share counts
the first request per chat and message.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from telegram import Chat as TgChat
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.advisers.stats import feedback_counts, scores_low
from bot.auth import guard, is_chat_member
from bot.erasure import complete_erasure
from bot.feedback.buttons import SHARE_PREFIX, UP, VOTE_PREFIX
from bot.feedback.share import wa_me_link
from bot.handlers import prompts
from bot.i18n import N_, Translator
from bot.services import BotApplication, BotContext, Services
from bot.storage.feedback import Delivered
from bot.telegram_errors import is_not_modified

log = logging.getLogger(__name__)

OPEN_WHATSAPP = N_("📲 Open WhatsApp")
LOW_SCORE_LEGEND = N_("📉 = rated low by readers in {name} (share of 👍)")
# The daily job that closes votes older than feedback.vote_days (Europe/Amsterdam).
CLOSE_VOTES_AT = time(3, 30)


async def _checked(update: Update, context: BotContext) -> Delivered | None:
    """The delivery this press is on, when the press counts; else answered as outdated."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    message = query.message
    if message is not None:
        chat = message.chat
        delivered = await context.services.feedback.delivered(chat.id, message.message_id)
        if (
            delivered is not None
            and query.data in {button.data for row in delivered.keyboard for button in row}
            and delivered.subscribed
            and (
                user.id == chat.id
                if chat.type == TgChat.PRIVATE
                else await is_chat_member(context, chat.id, user.id)
            )
        ):
            return delivered
    await prompts.refuse_outdated(update, context)
    return None


def _open(services: Services, delivered: Delivered) -> bool:
    """Votes may change (and shares count) until feedback.vote_days after the message."""
    days = services.config.feedback.vote_days
    return services.now() - delivered.due_at <= timedelta(days=days)


async def on_vote(update: Update, context: BotContext) -> None:
    delivered = await _checked(update, context)
    if delivered is None:
        return
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    services = context.services
    _ = services.i18n.get(delivered.locale)
    if not _open(services, delivered):
        await query.answer(_("Voting on this message has closed. Thank you!"))
        return
    up = query.data.endswith(f":{UP}")
    outcome = await services.feedback.vote(
        query.message.chat.id, delivered.key, delivered.municipality, up
    )
    vote = "👍" if up else "👎"
    await query.answer(
        {
            "new": _("Thanks, noted: {vote}", vote=vote),
            "same": _("Already noted: {vote}", vote=vote),
            "changed": _("Changed to {vote}", vote=vote),
        }[outcome]
    )


def _share_markup(_: Translator, delivered: Delivered, url: str) -> InlineKeyboardMarkup:
    """The delivered keyboard with the share button turned into the wa.me link."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_(OPEN_WHATSAPP), url=url)
                if button.data.startswith(f"{SHARE_PREFIX}:")
                else InlineKeyboardButton(button.text, callback_data=button.data)
                for button in row
            ]
            for row in delivered.keyboard
        ]
    )


async def on_share(update: Update, context: BotContext) -> None:
    delivered = await _checked(update, context)
    if delivered is None:
        return
    query = update.callback_query
    assert query is not None and query.message is not None
    services = context.services
    _ = services.i18n.get(delivered.locale)
    if _open(services, delivered):
        await services.feedback.share(query.message.chat.id, delivered.key, delivered.municipality)
    more = _(
        "Read the whole message in the Buurtwacht bot on Telegram: {link}",
        link=f"https://t.me/{context.bot.username}",
    )
    url = wa_me_link(delivered.content.text(delivered.locale), more)
    try:
        await query.edit_message_reply_markup(_share_markup(_, delivered, url))
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("share link refused chat_id=%s: %s", query.message.chat.id, exc.message)
            await query.answer(
                _("Sorry, I could not make the WhatsApp link for this message."), show_alert=True
            )
            return
    await query.answer(_("Tap “Open WhatsApp” under the message and choose your group."))


# --- /buttons: the admins' switch per calendar entry ------------------------------------------


SWITCH_WORDS = {"on": True, "aan": True, "off": False, "uit": False}


async def buttons_command(update: Update, context: BotContext) -> None:
    """/buttons, /buttons off ENTRY, /buttons on ENTRY (/knoppen uit|aan): the buttons under
    the messages of a calendar entry, for admins."""
    args = context.args or []
    switch = SWITCH_WORDS.get(args[0].lower()) if len(args) == 2 else None
    target = args[1] if switch is not None else ""
    if not await guard(update, context, "buttons", admin=True, target=target):
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    _ = await context.translator(update)
    services = context.services
    if switch is None:
        off = await services.feedback.entries_off()
        await message.reply_text(
            "\n".join(
                [
                    _(
                        "<b>Buttons under calendar messages</b>\n"
                        "<code>/buttons off ENTRY</code> removes the 👍/👎 and share buttons "
                        "from the messages of an entry, <code>/buttons on ENTRY</code> brings "
                        "them back. Choose a message in /calendar to see its entry id."
                    ),
                    "",
                    _("Without buttons: {entries}", entries=", ".join(off))
                    if off
                    else _("Every entry has its buttons."),
                ]
            ),
            parse_mode=ParseMode.HTML,
        )
        return
    try:
        entry_id = services.calendar.get(target).id
    except KeyError:
        await message.reply_text(_("There is no calendar entry {entry}.", entry=target))
        return
    changed = await services.feedback.set_buttons(entry_id, switch, user.id, services.now())
    await services.audit.record(
        user.id,
        "buttons.on" if switch else "buttons.off",
        entry_id,
        detail="" if changed else "unchanged",
        now=services.now(),
    )
    await message.reply_text(
        _(
            "From the next one on, the messages of {entry} carry the 👍/👎 and share buttons "
            "again.",
            entry=entry_id,
        )
        if switch
        else _("From the next one on, the messages of {entry} carry no buttons.", entry=entry_id)
    )


# --- closing votes ---------------------------------------------------------------------------


async def close_votes(services: Services) -> int:
    """Delete the chat links of votes that can no longer change; the job then completes the
    erasure (bot.erasure)."""
    cutoff = services.now() - timedelta(days=services.config.feedback.vote_days)
    closed = await services.feedback.close_before(cutoff)
    if closed:
        log.info("closed %d vote(s) and share(s): their chat links are deleted", closed)
    return closed


async def _close_votes_job(context: BotContext) -> None:
    if await close_votes(context.services):
        await complete_erasure(context.application)


def schedule_feedback_jobs(app: BotApplication) -> None:
    """Once after start-up (the bot may have been down at the daily time) and every night."""
    services: Services = app.bot_data["services"]
    assert app.job_queue is not None
    app.job_queue.run_once(_close_votes_job, when=0, name="close-votes-start")
    app.job_queue.run_daily(
        _close_votes_job,
        CLOSE_VOTES_AT.replace(tzinfo=services.config.locale.tz),
        name="close-votes",
    )


# --- what advisers see in /calendar ------------------------------------------------------------


async def low_score_marks(services: Services, municipality: str) -> dict[str, str]:
    """Per calendar entry that readers in `municipality` rate low: "📉 40% " (the share of 👍),
    once it has at least feedback.min_votes votes there."""
    cfg = services.config.feedback
    per_entry = await feedback_counts(services.db, [municipality], source="calendar")
    return {
        ref: f"📉{round((item.useful_share or 0) * 100)}% "
        for (_source, ref), item in per_entry.items()
        if scores_low(item, cfg.min_votes, cfg.low_below)
    }


def register(app: BotApplication) -> None:
    app.add_handler(
        CallbackQueryHandler(on_vote, pattern=rf"^{VOTE_PREFIX}:[0-9a-f]{{12}}:(up|down)$")
    )
    app.add_handler(CallbackQueryHandler(on_share, pattern=rf"^{SHARE_PREFIX}:[0-9a-f]{{12}}$"))
    app.add_handler(CommandHandler(["buttons", "knoppen"], buttons_command))
