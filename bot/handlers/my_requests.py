"""The resident's side of a request after it was made: /myrequests (every request and its
status; for the open one: write to the team, say the appointment does not suit, withdraw) and
the same buttons on the bot's notices.

Buttons (prefix `req`, the request id, an action) count only for the resident they were sent
to, on that message, in their private chat (bound prompts, bot/handlers/prompts.py), and only
for their own request in a state that allows the action.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler, filters

from bot.advice.requests import STATUS_NAMES
from bot.erasure import complete_erasure
from bot.handlers import contact, conversation, prompts
from bot.handlers.request_notices import (
    REQUEST_PREFIX,
    WHEN,
    resident_markup,
    team_of,
    tell_declined,
    tell_withdrawn,
)
from bot.i18n import Html
from bot.services import BotApplication, BotContext
from bot.storage.advice import AdviceRequest
from bot.teamwork import refresh_team_message, show_erased

log = logging.getLogger(__name__)

ACTIONS = ("msg", "nosuit", "wd", "wdy", "wdn")


async def my_requests(update: Update, context: BotContext) -> None:
    """/myrequests: the resident's requests and their status."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    _ = await context.translator(update)
    requests = await context.services.advice.for_user(user.id)
    if not requests:
        await message.reply_text(_("You have no advice requests. /advice starts one."))
        return
    lines = [_("<b>Your advice requests</b>")]
    for r in requests:
        line = _(
            "{reference} – {municipality}, {date}: {status}",
            reference=Html(f"<b>{r.reference}</b>"),
            municipality=context.services.config.municipality_name(r.municipality),
            date=_.fmt_date(r.created_at.astimezone(_.tz).date(), "d MMMM y"),
            status=_(STATUS_NAMES[r.status]),
        )
        if r.status == "planned" and r.planned_for:
            line += " " + _("({when})", when=_.fmt_datetime(r.planned_for, "d MMMM y HH:mm"))
            if r.declined_at:
                line += "\n" + _(
                    "You said this moment does not suit you; the team plans a new one."
                )
        lines.append(line)
    current = next((r for r in requests if r.is_open), None)
    markup = None
    if current is not None:
        rows: list[Sequence[InlineKeyboardButton]] = []
        if current.team_message_id is not None:
            rows += resident_markup(
                _, current, decline=current.status == "planned" and not current.declined_at
            ).inline_keyboard
        rows.append(
            [
                InlineKeyboardButton(
                    _("Withdraw {reference}", reference=current.reference),
                    callback_data=f"{REQUEST_PREFIX}:{current.id}:wd",
                )
            ]
        )
        markup = InlineKeyboardMarkup(rows)
    sent = await message.reply_text(
        "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup
    )
    prompts.bind(context, sent, flow=REQUEST_PREFIX, keep_previous=True)


async def _own_open_request(update: Update, context: BotContext) -> AdviceRequest | None:
    """The pressed request, when it is the presser's and still open; else answered."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    request = await context.services.advice.get(int(query.data.split(":")[1]))
    if request is None or request.user_id != user.id or not request.is_open:
        _ = await context.translator(update)
        log.info("request button refused: not open or not theirs user_id=%s", user.id)
        await query.answer(
            _("This request is closed; /myrequests shows its status."), show_alert=True
        )
        return None
    return request


async def on_press(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    action = query.data.rsplit(":", 1)[1]
    request = await _own_open_request(update, context)
    if request is None:
        return
    _ = await context.translator(update)
    if action == "msg":
        if request.team_message_id is None:
            await query.answer(
                _("Your request has not reached the prevention team yet."), show_alert=True
            )
            return
        await query.answer()
        await contact.ask_resident(update, context, request)
    elif action == "nosuit":
        await _decline(update, context, request)
    elif action == "wd":
        assert update.effective_chat is not None
        await query.answer()
        question = await context.bot.send_message(
            update.effective_chat.id,
            _(
                "Withdraw {reference}? The team is told that the visit is off, and your "
                "details for this request are deleted at once.",
                reference=request.reference,
            ),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        conversation.button(
                            REQUEST_PREFIX, _("Yes, withdraw"), f"{request.id}:wdy"
                        ),
                        conversation.button(REQUEST_PREFIX, _("No, keep it"), f"{request.id}:wdn"),
                    ]
                ]
            ),
        )
        prompts.bind(context, question, flow=REQUEST_PREFIX, keep_previous=True)
    elif action == "wdn":
        await query.edit_message_text(_("Good, nothing has changed."))
        await query.answer()
    else:
        await _withdraw(update, context, request)


async def _decline(update: Update, context: BotContext, request: AdviceRequest) -> None:
    query = update.callback_query
    assert query is not None and request.user_id is not None
    services = context.services
    _ = await context.translator(update)
    declined = await services.advice.decline(request.id, request.user_id, services.now())
    if declined is None:
        await query.answer(
            _("The team already knows, or the appointment has changed: /myrequests."),
            show_alert=True,
        )
        return
    log.info("advice request id=%s: the resident declined the planned moment", declined.id)
    await query.answer()
    await refresh_team_message(services, context.bot, declined)
    await tell_declined(context.application, declined)
    assert declined.planned_for is not None
    reply = await context.bot.send_message(
        request.user_id,
        _(
            "I have told {team} that {when} does not suit you. They will plan another moment "
            "with you; you can write to them too.",
            team=team_of(_, services, declined),
            when=_.fmt_datetime(declined.planned_for, WHEN),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=resident_markup(_, declined),
    )
    prompts.bind(context, reply, flow=REQUEST_PREFIX, keep_previous=True)


async def _withdraw(update: Update, context: BotContext, request: AdviceRequest) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    services = context.services
    _ = await context.translator(update)
    erased = await services.advice.withdraw(request.id, user.id, services.now())
    if erased is None:
        await query.answer(
            _("This request is closed; /myrequests shows its status."), show_alert=True
        )
        return
    log.info("advice request id=%s withdrawn by the resident", request.id)
    await show_erased(services, context.bot, [erased])
    await tell_withdrawn(context.application, erased)
    await complete_erasure(context.application)
    await query.edit_message_text(
        _(
            "Withdrawn: {reference}. The team knows the visit is off, and your details for "
            "this request are deleted.",
            reference=request.reference,
        )
    )
    await query.answer()


def register(app: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(["myrequests", "mijnaanvragen"], my_requests, filters=private))
    app.add_handler(conversation.press(REQUEST_PREFIX, on_press, rf"\d+:({'|'.join(ACTIONS)})"))
