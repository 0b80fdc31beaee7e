"""Reporting a wijkschouw finding in a private chat: the invitation's "Report a finding" button
opens the chat with `/start ws_<code>`; then a category, an optional photo, the place (a shared
location, or a typed street) and a short note, a summary, and Save.

The link's code is unguessable, and every entry and the save check that the reporter is a member
of the walk's group at that moment and that the walk is still open. The draft lives in the
persisted user_data ("finding") until it is saved or cancelled, or the daily job drops it after
a day; the photo is only a Telegram file id until Save, when it is downloaded, stripped of its
metadata and stored (bot/wijkschouw/photos.py). Nothing of the reporter but their Telegram id is
kept with the finding, and the group never sees who reported what.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.advice.validation import parse_note
from bot.auth import is_chat_member
from bot.handlers import conversation
from bot.handlers.conversation import END, persistent_conversation
from bot.i18n import N_, Html, Translator
from bot.inspection_reports import DEEP_LINK_PREFIX, FINDING_DRAFT_KEY, refresh_invitation
from bot.services import BotApplication, BotContext
from bot.storage.inspections import Inspection, NewFinding
from bot.wijkschouw import texts
from bot.wijkschouw.model import CATEGORIES, parse_street
from bot.wijkschouw.photos import PhotoError, strip_metadata

log = logging.getLogger(__name__)

PREFIX = "wsr"
CATEGORY = "category"
PHOTO = "photo"
PLACE = "place"
NOTE = "note"
CONFIRM = "confirm"
Draft = dict[str, Any]
STREET_PROBLEM = N_("Please type a street with a house number or landmark (at most 80 characters).")
NOTE_PROBLEM = N_("Please keep the note short (at most 200 characters).")


def _button(text: str, action: str) -> Any:
    return conversation.button(PREFIX, text, action)


def _draft(context: BotContext) -> Draft | None:
    draft = (context.user_data or {}).get(FINDING_DRAFT_KEY)
    return draft if isinstance(draft, dict) else None


async def _send(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    await conversation.spend(update)
    await conversation.send(update, context, text, markup)


async def _usable(update: Update, context: BotContext, inspection_id: int) -> Inspection | None:
    """The walk, if it is open and the user is a member of its group now; else a reply."""
    user = update.effective_user
    assert user is not None
    _ = await context.translator(update)
    inspection = await context.services.inspections.get(inspection_id)
    if inspection is None:
        await _send(
            update,
            context,
            _(
                "This wijkschouw link is not valid. Use the button under the invitation in "
                "your neighbourhood group."
            ),
        )
        return None
    if not inspection.is_open:
        await _send(
            update, context, _("This wijkschouw is closed, so findings can no longer be added.")
        )
        return None
    if not await is_chat_member(context, inspection.chat_id, user.id):
        log.info("finding refused: not a member user_id=%s inspection=%s", user.id, inspection.id)
        await _send(
            update, context, _("Only members of the neighbourhood group can report findings.")
        )
        return None
    return inspection


async def _ask_category(update: Update, context: BotContext, inspection: Inspection) -> str:
    assert context.user_data is not None
    context.user_data[FINDING_DRAFT_KEY] = {
        "inspection": inspection.id,
        "started": context.services.now().isoformat(),
    }
    _ = await context.translator(update)
    buttons = [_button(texts.category_text(_, key), f"cat:{key}") for key in CATEGORIES]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    name = context.services.config.municipality_name(inspection.municipality)
    text = _(
        "<b>Finding for the wijkschouw {place}</b>\nWhat did you see? Choose a category.",
        place=texts.place_name(inspection, name),
    )
    markup = InlineKeyboardMarkup([*rows, [_button(_("Cancel"), "cancel")]])
    await _send(update, context, text, markup)
    return CATEGORY


async def start_link(update: Update, context: BotContext) -> str | int:
    """`/start ws_<code>` from the invitation's button."""
    user = update.effective_user
    assert user is not None
    code = (context.args or [""])[0].removeprefix(DEEP_LINK_PREFIX)
    found = await context.services.inspections.by_code(code)
    inspection = await _usable(update, context, found.id if found else 0)
    if inspection is None:
        return END
    services = context.services
    if await services.inspections.join(inspection.id, user.id, services.now()):
        await refresh_invitation(services, context.bot, inspection.id)
    return await _ask_category(update, context, inspection)


async def another(update: Update, context: BotContext) -> str | int:
    """ "Report another finding" after a save (wsr:again:<inspection id>)."""
    assert update.callback_query is not None and update.callback_query.data is not None
    inspection = await _usable(update, context, int(update.callback_query.data.rsplit(":", 1)[1]))
    if inspection is None:
        return END
    return await _ask_category(update, context, inspection)


async def _lost(update: Update, context: BotContext) -> int:
    _ = await context.translator(update)
    await _send(
        update,
        context,
        _("This finding is no longer in progress. Use the button in the group to report one."),
    )
    return END


async def on_category(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    assert update.callback_query is not None and update.callback_query.data is not None
    if draft is None:
        return await _lost(update, context)
    key = update.callback_query.data.rsplit(":", 1)[1]
    if key not in CATEGORIES:
        return CATEGORY
    draft["category"] = key
    _ = await context.translator(update)
    markup = InlineKeyboardMarkup(
        [[_button(_("No photo"), "no_photo")], [_button(_("Cancel"), "cancel")]]
    )
    await _send(
        update,
        context,
        _(
            "Send a photo of it, if you like. Before I store it, I remove the location and "
            "camera details that phones put in photos. No photo? Press the button."
        ),
        markup,
    )
    return PHOTO


async def _ask_place(update: Update, context: BotContext) -> str:
    """The place: a reply keyboard with Telegram's "send my location" button, or typed text."""
    await conversation.spend(update)
    _ = await context.translator(update)
    assert update.effective_chat is not None
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(_("📍 Send my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=_("or type the street"),
    )
    await context.bot.send_message(
        update.effective_chat.id,
        _(
            "Where is it? Stand near it and press “📍 Send my location” below, or type the "
            "street with a house number or landmark. /cancel stops."
        ),
        reply_markup=keyboard,
    )
    return PLACE


async def on_photo(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    message = update.effective_message
    if draft is None:
        return await _lost(update, context)
    assert message is not None and message.photo
    draft["photo"] = message.photo[-1].file_id  # the largest size; downloaded at Save
    return await _ask_place(update, context)


async def on_no_photo(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    draft["photo"] = None
    return await _ask_place(update, context)


async def _place_noted(update: Update, context: BotContext, draft: Draft) -> str:
    """Remove the location keyboard, then ask for the note."""
    _ = await context.translator(update)
    assert update.effective_chat is not None
    place = (
        Html(_("your location")) if draft.get("latitude") is not None else draft.get("street") or ""
    )
    await context.bot.send_message(
        update.effective_chat.id,
        _("📍 Place noted: {place}", place=place),
        parse_mode=ParseMode.HTML,
        reply_markup=ReplyKeyboardRemove(),
    )
    markup = InlineKeyboardMarkup(
        [[_button(_("No note"), "no_note")], [_button(_("Cancel"), "cancel")]]
    )
    await conversation.send(
        update,
        context,
        _("Add a short note: what is wrong? For example: “street light broken”."),
        markup,
    )
    return NOTE


async def on_location(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    message = update.effective_message
    if draft is None:
        return await _lost(update, context)
    assert message is not None and message.location is not None
    draft.update(
        latitude=message.location.latitude, longitude=message.location.longitude, street=None
    )
    return await _place_noted(update, context, draft)


async def _typed(
    update: Update, context: BotContext, parse: Callable[[str], str | None]
) -> tuple[str | None, Translator]:
    """The typed text as `parse` reads it (None when it does not fit), and the translator for
    telling the user why."""
    message = update.effective_message
    assert message is not None
    return parse(message.text or ""), await context.translator(update)


async def _reply(update: Update, text: str) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(text)


async def on_street(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    street, _ = await _typed(update, context, parse_street)
    if street is None:
        await _reply(update, _(STREET_PROBLEM))
        return PLACE
    draft.update(street=street, latitude=None, longitude=None)
    return await _place_noted(update, context, draft)


async def _summary(update: Update, context: BotContext, draft: Draft) -> str:
    _ = await context.translator(update)
    lines = [
        _("<b>Your finding</b>"),
        _("Category: {category}", category=texts.category_text(_, draft["category"])),
        _("Photo: {photo}", photo=_("yes") if draft.get("photo") else _("no")),
        _("Place: {place}", place=_place_text(_, draft)),
        _("Note: {note}", note=draft.get("note") or "–"),
        "",
        _("Your name is not shown to anyone. Save it?"),
    ]
    markup = InlineKeyboardMarkup([[_button(_("Save"), "save"), _button(_("Cancel"), "cancel")]])
    await _send(update, context, "\n".join(lines), markup)
    return CONFIRM


def _place_text(_: Translator, draft: Draft) -> str:
    if draft.get("latitude") is not None:
        return f"📍 {draft['latitude']:.5f}, {draft['longitude']:.5f}"
    return str(draft.get("street") or "")


async def on_note(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    note, _ = await _typed(update, context, parse_note)
    if note is None:
        await _reply(update, _(NOTE_PROBLEM))
        return NOTE
    draft["note"] = note
    return await _summary(update, context, draft)


async def on_no_note(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    draft["note"] = None
    return await _summary(update, context, draft)


async def _stored_photo(context: BotContext, file_id: str) -> str | None:
    """Download the photo, strip its metadata and store it; None when that fails."""
    try:
        file = await context.bot.get_file(file_id)
        data = bytes(await file.download_as_bytearray())
        clean = await asyncio.to_thread(strip_metadata, data)
    except (TelegramError, PhotoError) as exc:
        log.warning("finding photo not stored: %s", type(exc).__name__)
        return None
    return await asyncio.to_thread(context.services.media.save, clean)


async def on_save(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    user = update.effective_user
    if draft is None:
        return await _lost(update, context)
    assert user is not None and context.user_data is not None
    inspection = await _usable(update, context, int(draft["inspection"]))
    if inspection is None:
        context.user_data.pop(FINDING_DRAFT_KEY, None)
        return END
    services = context.services
    _ = await context.translator(update)
    photo = await _stored_photo(context, draft["photo"]) if draft.get("photo") else None
    result = await services.inspections.add_finding(
        NewFinding(
            inspection_id=inspection.id,
            reporter_id=user.id,
            category=draft["category"],
            note=draft.get("note"),
            street=draft.get("street"),
            latitude=draft.get("latitude"),
            longitude=draft.get("longitude"),
            photo=photo,
        ),
        services.now(),
    )
    context.user_data.pop(FINDING_DRAFT_KEY, None)
    if isinstance(result, str):
        if photo is not None:
            services.media.delete(photo)
        text = {
            "closed": _("This wijkschouw has just been closed; your finding was not saved."),
            "full": _("This wijkschouw has the most findings one walk can hold; not saved."),
        }[result]
        await _send(update, context, text)
        return END
    log.info("finding #%s saved for inspection id=%s", result.number, inspection.id)
    lines = [_("Saved as finding <b>#{number}</b>. Thank you!", number=result.number)]
    if draft.get("photo") and photo is None:
        lines.append(_("I could not read the photo, so the finding was saved without it."))
    markup = InlineKeyboardMarkup(
        [
            [_button(_("Report another finding"), f"again:{inspection.id}")],
            [_button(_("Done"), "done")],
        ]
    )
    await _send(update, context, "\n".join(lines), markup)
    return END


async def done(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    await _send(
        update,
        context,
        _("Thank you for walking along! The municipality gets the findings when the walk closes."),
    )


async def cancel(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(FINDING_DRAFT_KEY, None)
    _ = await context.translator(update)
    # Also takes away the location keyboard, if it is showing.
    await conversation.spend(update)
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        _("Cancelled. Nothing was saved."),
        parse_mode=ParseMode.HTML,
        reply_markup=ReplyKeyboardRemove(),
    )
    return END


def _press(callback: Any, pattern: str) -> Any:
    return conversation.press(PREFIX, callback, pattern)


def register(app: BotApplication) -> None:
    """Before the subscription's /start: the `ws_` payload must win over the plain /start."""
    private = filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        persistent_conversation(
            "finding",
            entry_points=[
                CommandHandler(
                    "start",
                    start_link,
                    filters=private & filters.Regex(rf"^/start {DEEP_LINK_PREFIX}"),
                ),
                _press(another, r"again:\d+"),
            ],
            states={
                CATEGORY: [_press(on_category, r"cat:\w+"), conversation.buttons_only()],
                PHOTO: [
                    MessageHandler(private & filters.PHOTO, on_photo),
                    _press(on_no_photo, "no_photo"),
                    conversation.buttons_only(),
                ],
                PLACE: [
                    MessageHandler(private & filters.LOCATION, on_location),
                    MessageHandler(private & text, on_street),
                ],
                NOTE: [_press(on_no_note, "no_note"), MessageHandler(private & text, on_note)],
                CONFIRM: [_press(on_save, "save"), conversation.buttons_only()],
            },
            fallbacks=conversation.cancel_fallbacks(PREFIX, cancel),
        )
    )
    app.add_handler(_press(done, "done"))
