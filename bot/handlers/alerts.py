"""Neighbourhood alerts: /alert (/waarschuwing) for advisers and admins, in a private chat.

A persistent ConversationHandler (name "alert"): municipality, neighbourhood, what happened, then
the alert as recipients will see it, in every language (bot/handlers/preview.py), with the number
of chats, and Send. Between 23:00 and 07:00
the sender confirms twice. Sending goes through the engine at once (bot.advisers.broadcasts).
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.advisers.broadcasts import (
    alert_area,
    alert_audience_size,
    alert_content,
    is_night,
    send_alert,
)
from bot.auth import Roles, guard, guard_municipality_press
from bot.config import Municipality
from bot.handlers import conversation
from bot.handlers.conversation import END, persistent_conversation, send, spend
from bot.handlers.preview import preview
from bot.i18n import count_chats
from bot.services import BotApplication, BotContext

PREFIX = "alr"
DRAFT_KEY = "alert_draft"

MUNICIPALITY = "municipality"
NEIGHBOURHOOD = "neighbourhood"
TEXT = "text"
CONFIRM = "confirm"
NIGHT = "night"


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def _draft(context: BotContext) -> dict[str, Any]:
    return conversation.draft(context, DRAFT_KEY)


def _municipality(context: BotContext) -> Municipality | None:
    return context.services.config.municipality(_draft(context).get("municipality"))


async def _checked(update: Update, context: BotContext, step: str) -> Roles | None:
    municipality = _draft(context).get("municipality")
    return await guard(
        update, context, f"alert.{step}", municipalities=[municipality] if municipality else ()
    )


async def start(update: Update, context: BotContext) -> str | int:
    roles = await guard(update, context, "alert.start")
    if not roles:
        return END
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = {"municipality": None, "neighbourhoods": []}
    config = context.services.config
    scope = [m for m in config.municipalities if m.slug in roles.municipalities]
    if len(scope) == 1:
        _draft(context)["municipality"] = scope[0].slug
        return await _ask_neighbourhood(update, context)
    _ = await context.translator(update)
    buttons = [_button(m.name, f"m:{config.municipalities.index(m)}") for m in scope]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    await send(
        update,
        context,
        _("<b>Neighbourhood alert</b>\nFor which municipality? /cancel stops."),
        InlineKeyboardMarkup([*rows, [_button(_("Cancel"), "cancel")]]),
    )
    return MUNICIPALITY


async def on_municipality(update: Update, context: BotContext) -> str | int:
    municipality = await guard_municipality_press(update, context, "alert.municipality")
    if municipality is None:
        return END
    _draft(context)["municipality"] = municipality.slug
    await spend(update)
    return await _ask_neighbourhood(update, context)


async def _ask_neighbourhood(update: Update, context: BotContext) -> str | int:
    municipality = _municipality(context)
    assert municipality is not None
    if not municipality.neighbourhoods:
        return await _ask_text(update, context)
    _ = await context.translator(update)
    buttons = [_button(h, f"h:{i}") for i, h in enumerate(municipality.neighbourhoods)]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    await send(
        update,
        context,
        _("Which neighbourhood of {name}?", name=municipality.name),
        InlineKeyboardMarkup([*rows, [_button(_("Whole municipality"), "h:all")]]),
    )
    return NEIGHBOURHOOD


async def on_neighbourhood(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "neighbourhood"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    municipality = _municipality(context)
    assert municipality is not None
    value = query.data.rsplit(":", 1)[1]
    hoods = municipality.neighbourhoods
    _draft(context)["neighbourhoods"] = (
        [hoods[int(value)]] if value.isdigit() and int(value) < len(hoods) else []
    )
    await spend(update)
    return await _ask_text(update, context)


async def _ask_text(update: Update, context: BotContext) -> str:
    _ = await context.translator(update)
    await send(
        update,
        context,
        _(
            "What happened? Write one or two sentences, e.g. 'Today there were several "
            "burglaries in this neighbourhood.' I add the SAAR advice in every language."
        ),
    )
    return TEXT


async def on_text(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "text"):
        return END
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    _ = await context.translator(update)
    draft = _draft(context)
    municipality = _municipality(context)
    assert municipality is not None
    draft["text"] = message.text_html
    content = alert_content(
        context.services, alert_area(municipality, draft["neighbourhoods"]), draft["text"]
    )
    refusal = await preview(context, _, chat.id, content, "alert")
    if refusal is not None:
        await message.reply_text(refusal)
        return TEXT
    count = await alert_audience_size(context.services, municipality.slug, draft["neighbourhoods"])
    await send(
        update,
        context,
        _(
            "👆 This is the alert as recipients will see it. Send it now to <b>{chats}</b> "
            "(the groups and residents here that have neighbourhood alerts on)?",
            chats=count_chats(_, count),
        ),
        InlineKeyboardMarkup([[_button(_("Send now"), "send"), _button(_("Cancel"), "cancel")]]),
    )
    return CONFIRM


async def on_send(update: Update, context: BotContext) -> str | int:
    """First confirmation; at night a second one is needed (alr:night)."""
    if not await _checked(update, context, "send"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    services = context.services
    if query.data.endswith(":send") and is_night(services, services.now()):
        _ = await context.translator(update)
        start, end = services.config.alerts.night
        await spend(update)
        await send(
            update,
            context,
            _(
                "It is night ({start}-{end}): an alert now wakes people up. Is it really "
                "urgent enough to send now?",
                start=start.strftime("%H:%M"),
                end=end.strftime("%H:%M"),
            ),
            InlineKeyboardMarkup(
                [[_button(_("Yes, send it now"), "night"), _button(_("Cancel"), "cancel")]]
            ),
        )
        return NIGHT
    return await _really_send(update, context)


async def _really_send(update: Update, context: BotContext) -> int:
    user = update.effective_user
    assert user is not None and context.user_data is not None
    services = context.services
    _ = await context.translator(update)
    draft = _draft(context)
    municipality = _municipality(context)
    assert municipality is not None
    alert_id, count = await send_alert(
        services, user.id, municipality, draft["neighbourhoods"], draft["text"]
    )
    await services.audit.record(
        user.id, "alert.send", f"{municipality.slug}:{alert_id}", now=services.now()
    )
    context.user_data.pop(DRAFT_KEY, None)
    await spend(update)
    follow_up = (
        _(
            "Tomorrow at {time} they hear that free prevention advice can be requested.",
            time=services.config.alerts.follow_up_at,
        )
        if municipality.free_advice
        else ""
    )
    await send(
        update,
        context,
        " ".join(
            filter(
                None,
                [_("The alert goes out to {chats} now.", chats=count_chats(_, count)), follow_up],
            )
        ),
    )
    return END


async def cancel(update: Update, context: BotContext) -> int:
    return await conversation.cancel(update, context, DRAFT_KEY)


def _press(callback: Any, pattern: str) -> CallbackQueryHandler[Any, Any]:
    return conversation.press(PREFIX, callback, pattern)


def register(app: BotApplication) -> None:
    text = filters.TEXT & ~filters.COMMAND
    buttons_only = conversation.buttons_only()
    app.add_handler(
        persistent_conversation(
            "alert",
            entry_points=[CommandHandler(["alert", "waarschuwing"], start)],
            states={
                MUNICIPALITY: [_press(on_municipality, r"m:\d+"), buttons_only],
                NEIGHBOURHOOD: [_press(on_neighbourhood, r"h:(\d+|all)"), buttons_only],
                TEXT: [MessageHandler(text, on_text)],
                CONFIRM: [_press(on_send, "send"), buttons_only],
                NIGHT: [_press(on_send, "night"), buttons_only],
            },
            fallbacks=conversation.cancel_fallbacks(PREFIX, cancel),
        )
    )
