"""Closing a request as done, deliberately: the member who pressed Done is asked "Did the visit
take place?" (warned when the appointment is still to come, told when they close it on behalf
of the claimer), and can undo it for UNDO_WINDOW. The resident hears "done" only after that
window (bot/handlers/visits.py), so an undo never has to take back a message.

The question's buttons (prefix `visit`) are bound to the member who pressed Done, on that
question; the request is checked again (membership, team, state) on every press.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler

from bot.advice.visits import UNDO_WINDOW
from bot.handlers import prompts
from bot.handlers.team_access import checked_request
from bot.i18n import Html
from bot.services import BotApplication, BotContext
from bot.storage.advice import AdviceRequest
from bot.teamwork import refresh_team_message

log = logging.getLogger(__name__)

PREFIX = "visit"
WHEN = "EEEE d MMMM HH:mm"


async def ask(update: Update, context: BotContext, request: AdviceRequest) -> None:
    """Did the visit take place? Sent in the team group to the member who pressed Done."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    services = context.services
    _ = await context.translator(update)
    lines = [
        _(
            "{member}, did the visit for {reference} take place?",
            member=Html(user.mention_html()),
            reference=request.reference,
        )
    ]
    if request.planned_for and request.planned_for > services.now():
        lines.append(
            _(
                "⚠️ The appointment is only on {when}.",
                when=_.fmt_datetime(request.planned_for, WHEN),
            )
        )
    elif request.planned_for is None:
        lines.append(_("⚠️ No appointment was planned for it."))
    on_behalf = request.claimed_by not in (None, user.id) and request.claimed_by_name
    if on_behalf:
        lines.append(
            _(
                "{name} claimed this request: you close it on their behalf.",
                name=request.claimed_by_name or "",
            )
        )
    yes = (
        _("Yes, done on behalf of {name}", name=request.claimed_by_name or "")
        if on_behalf
        else _("Yes, the visit took place")
    )
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(yes, callback_data=f"{PREFIX}:{request.id}:yes")],
            [InlineKeyboardButton(_("No, not yet"), callback_data=f"{PREFIX}:{request.id}:no")],
        ]
    )
    question = await context.bot.send_message(
        chat.id, "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup
    )
    prompts.bind(context, question)


async def answer(update: Update, context: BotContext) -> None:
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None and query.data is not None and chat is not None and user is not None
    if not await prompts.claim(update, context, PREFIX):
        return
    _ = await context.translator(update)
    services = context.services
    _prefix, request_id, choice = query.data.split(":")
    if choice == "no":
        prompts.release(context, PREFIX)
        await query.edit_message_text(_("Good, nothing has changed."))
        await query.answer()
        return
    if choice == "undo":
        undone = await services.advice.undo_done(
            int(request_id), user.id, services.now(), UNDO_WINDOW
        )
        prompts.release(context, PREFIX)
        if undone is None:
            await query.edit_message_reply_markup(None)
            await query.answer(_("Too late to undo: the resident has been told."), show_alert=True)
            return
        log.info("advice request id=%s: done undone by user_id=%s", undone.id, user.id)
        await query.edit_message_text(
            _("↩️ Undone: {reference} is open again.", reference=undone.reference)
        )
        await query.answer()
        await refresh_team_message(services, context.bot, undone)
        return
    request, why = await checked_request(context, chat.id, user, int(request_id), "done")
    changed = (
        None
        if why or request is None
        else await services.advice.transition(
            request.id, "done", services.now(), by=user.id, by_name=user.full_name
        )
    )
    if changed is None:
        log.warning("done refused (%s) chat_id=%s user_id=%s", why or "state", chat.id, user.id)
        prompts.release(context, PREFIX)
        await query.edit_message_reply_markup(None)
        await query.answer(_("This request is already further along or closed."), show_alert=True)
        return
    log.info("advice request id=%s done by user_id=%s", changed.id, user.id)
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    undo = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Undo"), callback_data=f"{PREFIX}:{changed.id}:undo")]]
    )
    done = await query.edit_message_text(
        _.ngettext(
            "✅ {reference} is done. The resident hears it in {n} minute; until then you can "
            "undo it.",
            "✅ {reference} is done. The resident hears it in {n} minutes; until then you can "
            "undo it.",
            minutes,
            reference=changed.reference,
        ),
        reply_markup=undo,
    )
    prompts.bind(context, done)
    await query.answer()
    await refresh_team_message(services, context.bot, changed)


def register(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(answer, pattern=rf"^{PREFIX}:\d+:(yes|no|undo)$"))
