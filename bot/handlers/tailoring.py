"""Tailoring the year calendar per municipality: /calendar (/kalender) and /calendar ics.

An adviser sees the next 30 days of calendar messages for a municipality and may skip one (this
time or always), replace its text for that municipality, or go back to the default. Overrides are
the calendar issue's storage (calendar_overrides) and are looked up when a message becomes due, so
a change counts even after planning. Callback data: a municipality index, a date and an entry id.

Every press is checked in this order: the presser's role covers the municipality
(bot.auth.guard), the press is on the /calendar message the bot sent them in this chat (flow
PREFIX in bot/handlers/prompts.py), and the data names a real entry and date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.auth import guard, guard_municipality_press
from bot.config import Municipality
from bot.delivery import academic_overrides
from bot.handlers import conversation, prompts
from bot.handlers.conversation import END, persistent_conversation, send, spend
from bot.i18n import Html, Translator
from bot.services import BotApplication, BotContext
from messages.validation import MAX_TEXT_LENGTH, plain_text, telegram_length
from scheduler.ics import occurrences_to_ics
from scheduler.moments import MomentResolver
from scheduler.occurrences import Occurrence, occurrences_for_municipalities

PREFIX = "cal"
# <municipality index>:<yyyymmdd>:<entry id> in callback data.
OCCURRENCE = r"\d+:\d{8}:[a-z0-9-]+"
REPLACE_KEY = "calendar_replace"
REPLACE = "replace"
DAYS = 30
MAX_LISTED = 25


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def _occurrences(context: BotContext, slugs: set[str], days: int) -> list[Occurrence]:
    services = context.services
    config = services.config
    today = services.now().astimezone(config.locale.tz).date()
    return occurrences_for_municipalities(
        services.calendar,
        today,
        today + timedelta(days=days),
        [(m.slug, m.school_region) for m in config.municipalities if m.slug in slugs],
        MomentResolver(config.locale.tz, academic_overrides(config)),
    )


async def calendar(update: Update, context: BotContext) -> None:
    """/calendar: choose a municipality (when there are several), or /calendar ics."""
    roles = await guard(update, context, "calendar")
    if not roles:
        return
    message = update.effective_message
    assert message is not None
    if context.args and context.args[0].lower() == "ics":
        await _send_ics(update, context, set(roles.municipalities))
        return
    _ = await context.translator(update)
    config = context.services.config
    scope = [m for m in config.municipalities if m.slug in roles.municipalities]
    if len(scope) == 1:
        text, markup = await _list_view(context, _, scope[0])
        shown = await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        buttons = [_button(m.name, f"m:{config.municipalities.index(m)}") for m in scope]
        shown = await message.reply_text(
            _("Which municipality's calendar do you want to tailor?"),
            reply_markup=InlineKeyboardMarkup(
                [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
            ),
        )
    prompts.bind(context, shown)


async def _list_view(
    context: BotContext, _: Translator, municipality: Municipality
) -> tuple[str, InlineKeyboardMarkup]:
    config = context.services.config
    index = config.municipalities.index(municipality)
    overrides = {
        (entry_id, o.local_date): o.action
        for _m, entry_id, o in await context.services.outbox.overrides(municipality.slug)
    }
    rows = []
    for occ in _occurrences(context, {municipality.slug}, DAYS)[:MAX_LISTED]:
        day = occ.local_date.isoformat()
        action = overrides.get((occ.entry_id, day)) or overrides.get((occ.entry_id, ""))
        mark = {"skip": "⛔ ", "replace": "✏️ "}.get(action or "", "")
        label = f"{mark}{_.fmt_datetime(occ.at, 'd MMM HH:mm')} · {occ.entry_id}"
        rows.append([_button(label, f"o:{index}:{occ.local_date:%Y%m%d}:{occ.entry_id}")])
    text = _(
        "<b>Calendar of {name}, next {days} days</b>\n"
        "Choose a message to skip it or replace its text for {name}. "
        "⛔ = skipped, ✏️ = own text.",
        name=municipality.name,
        days=DAYS,
    )
    if not rows:
        text += "\n" + _("No calendar messages in this period.")
    return text, InlineKeyboardMarkup(rows)


def _parse(data: str, context: BotContext) -> tuple[Municipality, date, str] | None:
    """(municipality, local date, entry id) from `cal:<action>:<index>:<yyyymmdd>:<entry>`."""
    parts = data.split(":", 4)
    municipalities = context.services.config.municipalities
    try:
        if not parts[2].isdigit():
            return None
        municipality = municipalities[int(parts[2])]
        day = datetime.strptime(parts[3], "%Y%m%d").date()
        entry_id = context.services.calendar.get(parts[4]).id
    except (IndexError, ValueError, KeyError):
        return None
    return municipality, day, entry_id


async def on_municipality(update: Update, context: BotContext) -> None:
    municipality = await guard_municipality_press(update, context, "calendar.view")
    if municipality is None or not await prompts.claim(update, context, PREFIX):
        return
    query = update.callback_query
    assert query is not None
    _ = await context.translator(update)
    text, markup = await _list_view(context, _, municipality)
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    await query.answer()


async def _checked_occurrence(
    update: Update, context: BotContext, action: str
) -> tuple[Municipality, date, str] | None:
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = _parse(query.data, context)
    slug = parsed[0].slug if parsed else "?"
    target = f"{slug}:{parsed[2]}:{parsed[1]}" if parsed else query.data
    if not await guard(update, context, action, municipalities=[slug], target=target):
        return None
    if not await prompts.claim(update, context, PREFIX):
        return None
    if parsed is None:
        await prompts.refuse_outdated(update, context)
    return parsed


async def _occurrence_view(
    context: BotContext, _: Translator, municipality: Municipality, day: date, entry_id: str
) -> tuple[str, InlineKeyboardMarkup]:
    override = await context.services.outbox.override_for(
        municipality.slug, entry_id, day.isoformat()
    )
    entry = context.services.calendar.get(entry_id)
    texts = override.texts if override and override.texts else entry.texts
    status = _("default text")
    if override is not None and override.action == "skip":
        status = _("skipped this time") if override.local_date else _("always skipped")
    elif override is not None:
        status = _("own text for {name}", name=municipality.name)
    ref = f"{context.services.config.municipalities.index(municipality)}:{day:%Y%m%d}:{entry_id}"
    rows = [
        [_button(_("Skip this time"), f"s1:{ref}"), _button(_("Skip always"), f"sa:{ref}")],
        [_button(_("Replace text"), f"r:{ref}")],
    ]
    if override is not None:
        rows.append([_button(_("Back to the default"), f"d:{ref}")])
    rows.append([_button(_("Back to the list"), f"m:{ref.split(':')[0]}")])
    text = "\n".join(
        [
            _(
                "<b>{entry}</b> on {date} for {name}: {status}",
                entry=entry_id,
                date=_.fmt_date(day, "d MMMM y"),
                name=municipality.name,
                status=status,
            ),
            "",
            Html(texts.get(_.locale) or next(iter(texts.values()))),
        ]
    )
    return text, InlineKeyboardMarkup(rows)


async def on_occurrence(update: Update, context: BotContext) -> None:
    """o: show one message; s1/sa: skip this time/always; d: back to the default."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    action = query.data.split(":")[1]
    names = {"o": "calendar.view", "s1": "calendar.skip", "sa": "calendar.skip"}
    parsed = await _checked_occurrence(update, context, names.get(action, "calendar.default"))
    if parsed is None:
        return
    municipality, day, entry_id = parsed
    services = context.services
    if action in ("s1", "sa"):
        local_date = day.isoformat() if action == "s1" else ""
        await services.outbox.set_override(
            municipality.slug, entry_id, "skip", local_date=local_date, by=user.id
        )
        await services.audit.record(
            user.id,
            "calendar.skip",
            f"{municipality.slug}:{entry_id}:{local_date or 'always'}",
            now=services.now(),
        )
    elif action == "d":
        for local_date in (day.isoformat(), ""):
            await services.outbox.clear_override(municipality.slug, entry_id, local_date)
        await services.audit.record(
            user.id, "calendar.default", f"{municipality.slug}:{entry_id}", now=services.now()
        )
    _ = await context.translator(update)
    text, markup = await _occurrence_view(context, _, municipality, day, entry_id)
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    await query.answer()


async def on_replace(update: Update, context: BotContext) -> str | None:
    parsed = await _checked_occurrence(update, context, "calendar.replace")
    if parsed is None:
        return None
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    municipality, _day, entry_id = parsed
    context.user_data[REPLACE_KEY] = query.data
    _ = await context.translator(update)
    await spend(update)
    await send(
        update,
        context,
        _(
            "Send the new text of <b>{entry}</b> for {name}. It replaces the text in every "
            "language, every time. /cancel keeps the current text.",
            entry=entry_id,
            name=municipality.name,
        ),
    )
    return REPLACE


async def on_replace_text(update: Update, context: BotContext) -> str | int:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and context.user_data is not None
    parsed = _parse(str(context.user_data.get(REPLACE_KEY, "")), context)
    slug = parsed[0].slug if parsed else "?"
    if not await guard(update, context, "calendar.replace", municipalities=[slug]) or not parsed:
        return END
    municipality, day, entry_id = parsed
    services = context.services
    _ = await context.translator(update)
    # A calendar text must fit every delivery of its entry, as a caption too.
    if telegram_length(message.text_html) > MAX_TEXT_LENGTH:
        await message.reply_text(
            _(
                "That text is too long: at most {limit} characters. Please shorten it.",
                limit=MAX_TEXT_LENGTH,
            )
        )
        return REPLACE
    texts = dict.fromkeys(services.i18n.available, message.text_html)
    await services.outbox.set_override(
        municipality.slug, entry_id, "replace", texts=texts, by=user.id
    )
    await services.audit.record(
        user.id, "calendar.replace", f"{municipality.slug}:{entry_id}", now=services.now()
    )
    context.user_data.pop(REPLACE_KEY, None)
    text, markup = await _occurrence_view(context, _, municipality, day, entry_id)
    prompts.bind(
        context, await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    )
    return END


async def cancel_replace(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(REPLACE_KEY, None)
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("Cancelled. The text is unchanged."))
    return END


async def _send_ics(update: Update, context: BotContext, slugs: set[str]) -> None:
    """The next 12 months of calendar messages and campaigns as an .ics file."""
    _ = await context.translator(update)
    services = context.services
    now = services.now()
    ics = icalendar.Calendar.from_ical(
        occurrences_to_ics(_occurrences(context, slugs, 365), services.calendar, _.locale)
    )
    for campaign in await services.campaigns.between(now, now + timedelta(days=365)):
        if campaign.state == "cancelled" or not campaign.audience.municipalities & slugs:
            continue
        text = plain_text(campaign.content.text(_.locale))
        event = icalendar.Event()
        event.add("uid", f"{campaign.key}@buurtwacht")
        event.add("dtstamp", now)
        event.add("dtstart", campaign.due_at.astimezone(services.config.locale.tz))
        event.add("summary", _("Campaign #{id}: {text}", id=campaign.id, text=text.splitlines()[0]))
        event.add("description", text)
        event.add("categories", ["campaign"])
        ics.add_component(event)
    assert update.effective_message is not None
    await update.effective_message.reply_document(
        ics.to_ical(),
        filename="buurtwacht.ics",
        caption=_("The calendar messages and campaigns of the next 12 months, for your agenda."),
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        persistent_conversation(
            "tailor",
            entry_points=[CallbackQueryHandler(on_replace, pattern=rf"^{PREFIX}:r:{OCCURRENCE}$")],
            states={
                REPLACE: [MessageHandler(filters.TEXT & ~filters.COMMAND, on_replace_text)],
            },
            fallbacks=[CommandHandler(["cancel", "annuleren"], cancel_replace)],
        )
    )
    app.add_handler(CommandHandler(["calendar", "kalender"], calendar))
    app.add_handler(CallbackQueryHandler(on_municipality, pattern=rf"^{PREFIX}:m:\d+$"))
    app.add_handler(
        CallbackQueryHandler(on_occurrence, pattern=rf"^{PREFIX}:(o|s1|sa|d):{OCCURRENCE}$")
    )
