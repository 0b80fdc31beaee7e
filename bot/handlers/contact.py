"""Messages between a prevention team and a resident about a request, both ways.

A team member presses "Message resident" (on the team message, or "Reply to the resident" on
a message of the resident) and answers the bot's question by replying; the bot sends the text
to the resident under the team's name, never the member's. The resident answers by replying to
that message, or presses "Write to the team" (on a notice or /myrequests); the bot posts the
text in the team's group with a button to answer. Each side sees the other's text in its own
chat. The bot does not store the texts (bot/handlers/request_notices.py says what it keeps).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.advice.validation import MESSAGE_MAX, parse_message
from bot.handlers import replies
from bot.handlers.request_notices import (
    TO_RESIDENT,
    TO_TEAM,
    relay_to_resident,
    relay_to_team,
    team_of,
)
from bot.handlers.team_access import checked_request
from bot.services import BotApplication, BotContext
from bot.storage.advice import AdviceRequest

log = logging.getLogger(__name__)


async def ask_member(update: Update, context: BotContext, request: AdviceRequest) -> None:
    """The team member's question: the text for the resident comes as a reply."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    _ = await context.translator(update)
    await replies.ask(
        context,
        chat.id,
        user,
        _(
            "{member}, reply to this message with your message for the resident of "
            "{reference}. They see it from the prevention team, not from you.",
            member=replies.mention(user),
            reference=request.reference,
        ),
        TO_RESIDENT,
        request=request.id,
    )


async def member_reply(update: Update, context: BotContext) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    prompt = replies.take(update, context)
    if prompt is None:
        return
    _ = await context.translator(update)
    request, why = await checked_request(context, chat.id, user, prompt["request"], None)
    if why or request is None:
        log.warning("team message refused (%s) chat_id=%s user_id=%s", why, chat.id, user.id)
        await message.reply_text(
            _("This request is closed: the resident can no longer be reached here.")
        )
        return
    text = parse_message(message.text or "")
    if text is None:
        await message.reply_text(
            _("Please keep it shorter (at most {n} characters).", n=MESSAGE_MAX)
        )
        await ask_member(update, context, request)
        return
    sent = await relay_to_resident(context.application, request, text)
    log.info("advice request id=%s: team message to the resident (%s)", request.id, bool(sent))
    await message.reply_text(
        _("Sent to the resident of {reference}.", reference=request.reference)
        if sent
        else _(
            "The resident of {reference} cannot be reached in Telegram (they may have "
            "blocked the bot).",
            reference=request.reference,
        )
    )


async def ask_resident(update: Update, context: BotContext, request: AdviceRequest) -> None:
    """The resident's question: the text for the team comes as a reply."""
    user = update.effective_user
    assert user is not None
    _ = await context.translator(update)
    await replies.ask(
        context,
        user.id,
        user,
        _(
            "Type your message for {team} about {reference} as a reply to this message.",
            team=team_of(_, context.services, request),
            reference=request.reference,
        ),
        TO_TEAM,
        request=request.id,
    )


async def resident_reply(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    prompt = replies.take(update, context)
    if prompt is None:
        return
    _ = await context.translator(update)
    request = await context.services.advice.get(prompt["request"])
    if request is None or request.user_id != user.id or not request.is_open:
        await message.reply_text(
            _("This request is closed; /myrequests shows its status. /advice starts a new one.")
        )
        return
    if request.team_chat_id is None or request.team_message_id is None:
        await message.reply_text(
            _(
                "Your request has not reached the prevention team yet, so I cannot pass on "
                "messages. You will hear from me when they take it on."
            )
        )
        return
    text = parse_message(message.text or "")
    if text is None:
        await message.reply_text(
            _("Please keep it shorter (at most {n} characters).", n=MESSAGE_MAX)
        )
        # The question was spent on this answer: ask again, as for the team's member.
        await ask_resident(update, context, request)
        return
    sent = await relay_to_team(context.application, request, text)
    log.info("advice request id=%s: resident message to the team (%s)", request.id, bool(sent))
    await message.reply_text(
        _("Sent to {team}.", team=team_of(_, context.services, request))
        if sent
        else _("I could not pass it on just now. Please try again later.")
    )


def register(app: BotApplication) -> None:
    """Before the team's own reply handler and the fallbacks: only replies to these
    questions (replies.RepliesTo) are taken."""
    answer = filters.REPLY & filters.TEXT & ~filters.COMMAND
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & answer & replies.RepliesTo(app, TO_RESIDENT), member_reply
        )
    )
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & answer & replies.RepliesTo(app, TO_TEAM), resident_reply
        )
    )
