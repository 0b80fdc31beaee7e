"""The year calendar for advisers: /calendar (/kalender), /calendar ics, and local tailoring.

An adviser sees a municipality's year month by month: calendar messages, campaigns and alerts in
one list by moment (days with more than one are marked, so clashes show), with paging over the
next twelve months. A calendar message can be skipped (this time or always), given its own text
for that municipality, or set back to the default. Overrides are the calendar's storage
(calendar_overrides) and are looked up when a message becomes due, so a change counts even after
planning. Callback data: a municipality index, a month or a date, and an entry id.

Every press is checked in this order: the presser's role covers the municipality
(bot.auth.guard), the press is on the /calendar message the bot sent them in this chat (flow
PREFIX in bot/handlers/prompts.py), and the data names a real entry and date.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.advisers import tailoring
from bot.advisers.agenda import (
    busy_days,
    calendar_items,
    campaign_items,
    ics_events,
    in_order,
    item_title,
)
from bot.advisers.tailoring import occurrence_state
from bot.advisers.texts import scope_text, title_of
from bot.auth import guard
from bot.commands import CANCEL
from bot.config import Municipality
from bot.handlers import conversation, prompts
from bot.handlers.conversation import END, persistent_conversation, refuse_text, send, spend
from bot.handlers.feedback import LOW_SCORE_LEGEND, low_score_marks
from bot.i18n import Html, Translator
from bot.services import BotApplication, BotContext, Services
from bot.storage.outbox import Override
from messages.placeholders import unfilled
from messages.validation import MAX_TEXT_LENGTH
from scheduler.ics import events_to_ics

PREFIX = "cal"
# <municipality index>:<yyyymmdd>:<entry id> in callback data.
OCCURRENCE = r"\d+:\d{8}:[a-z0-9-]+"
REPLACE_KEY = "calendar_replace"
REPLACE = "replace"
MONTHS_AHEAD = 12  # this month and the next eleven
ICS_DAYS = 365
MAX_BUTTONS = 25
MARKS = {"skip": "⛔ ", "replace": "✏️ ", "write": "📝 "}
ICONS = {"calendar": "🗓", "campaign": "📣", "alert": "⚠️"}


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def _today(services: Services) -> date:
    return services.now().astimezone(services.config.locale.tz).date()


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


async def calendar(update: Update, context: BotContext) -> None:
    """/calendar: the month view (after a municipality choice when there are several), or
    /calendar ics [municipality] for an agenda file."""
    roles = await guard(update, context, "calendar")
    if not roles:
        return
    message = update.effective_message
    assert message is not None
    _ = await context.translator(update)
    config = context.services.config
    args = context.args or []
    if args and args[0].lower() == "ics":
        wanted = " ".join(args[1:])
        slug = config.find_municipality(wanted) if wanted else None
        if wanted and (slug is None or slug not in roles.municipalities):
            await message.reply_text(
                _(
                    "I don't know that municipality, or it is not one of yours. "
                    "Try /calendar ics Enschede."
                )
            )
            return
        await _send_ics(update, context, {slug} if slug else set(roles.municipalities))
        return
    scope = [m for m in config.municipalities if m.slug in roles.municipalities]
    if len(scope) == 1:
        text, markup = await _month_view(
            context, _, scope[0], _month_start(_today(context.services))
        )
        await send(update, context, text, markup)
        return
    buttons = [_button(m.name, f"m:{config.municipalities.index(m)}") for m in scope]
    await send(
        update,
        context,
        _("Which municipality's calendar do you want to see?"),
        InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)]),
    )


def _override_mark(
    overrides: dict[tuple[str, str], str], entry_id: str, day: date, *, local: bool = False
) -> str:
    """⛔ skipped, ✏️ own text, or 📝 for a local entry the municipality has not written yet
    (it is not sent until then)."""
    return MARKS.get(occurrence_state(overrides, entry_id, day, local=local) or "", "")


async def _month_view(
    context: BotContext, _: Translator, municipality: Municipality, month: date
) -> tuple[str, InlineKeyboardMarkup]:
    services = context.services
    config = services.config
    tz = config.locale.tz
    index = config.municipalities.index(municipality)
    first = month
    last = _month_start(month, 1) - timedelta(days=1)
    items = await tailoring.agenda(services, [municipality.slug], first, last, _.locale)
    overrides = await tailoring.overrides_of(services, municipality.slug)
    low = await low_score_marks(services, municipality.slug)
    busy = busy_days(items, tz)
    lines = [
        _(
            "<b>Calendar of {name} – {month}</b>",
            name=municipality.name,
            month=_.fmt_date(month, "MMMM y"),
        ),
        _(
            "🗓 calendar message · 📣 campaign · ⚠️ alert · ⛔ skipped · ✏️ own text · "
            "📝 yours to write (not sent until then) · ❗ more than one that day. Choose a coming "
            "calendar message below to skip it or give it your own text."
        ),
        "",
    ]
    rows: list[list[InlineKeyboardButton]] = []
    for item in items:
        day = item.at.astimezone(tz).date()
        mark = ""
        if item.kind == "calendar":
            local = services.calendar.get(item.ref).local
            mark = _override_mark(overrides, item.ref, day, local=local) + low.get(item.ref, "")
        title = item_title(_, item)
        lines.append(
            f"{'❗' if day in busy else ''}{_.fmt_datetime(item.at, 'EEE d MMM HH:mm')} · "
            f"{ICONS[item.kind]} {mark}{html.escape(title)}"
        )
        if item.kind == "calendar" and item.at > services.now() and len(rows) < MAX_BUTTONS:
            label = f"{mark}{_.fmt_date(day, 'd MMM')} · {title}"
            rows.append([_button(label, f"o:{index}:{day:%Y%m%d}:{item.ref}")])
    if any(item.kind == "calendar" and item.ref in low for item in items):
        lines.insert(2, _(LOW_SCORE_LEGEND, name=municipality.name))
    if not items:
        lines.append(_("Nothing planned in this month."))
    today_month = _month_start(_today(services))
    paging = []
    if month > today_month:
        previous = _month_start(month, -1)
        paging.append(_button("◀ " + _.fmt_date(previous, "MMMM"), f"p:{index}:{previous:%Y%m}"))
    if month < _month_start(today_month, MONTHS_AHEAD - 1):
        following = _month_start(month, 1)
        paging.append(_button(_.fmt_date(following, "MMMM") + " ▶", f"p:{index}:{following:%Y%m}"))
    if paging:
        rows.append(paging)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


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
    """m:<index>: this month; p:<index>:<yyyymm>: another month of the next twelve."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _prefix, kind, index, *rest = query.data.split(":")
    municipalities = context.services.config.municipalities
    slug = municipalities[int(index)].slug if int(index) < len(municipalities) else "?"
    if not await guard(update, context, "calendar.view", municipalities=[slug]):
        return
    if not await prompts.claim(update, context, PREFIX):
        return
    municipality = municipalities[int(index)]
    _ = await context.translator(update)
    this_month = _month_start(_today(context.services))
    month = this_month
    if kind == "p":
        month = datetime.strptime(rest[0], "%Y%m").date()
        month = min(max(month, this_month), _month_start(this_month, MONTHS_AHEAD - 1))
    text, markup = await _month_view(context, _, municipality, month)
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


def _status(
    _: Translator, override: Override | None, municipality: Municipality, *, local: bool
) -> str:
    if override is None and local:
        return _("an example: not sent until you replace it for {name}", name=municipality.name)
    if override is None:
        return _("default text")
    if override.action == "skip":
        return _("skipped this time") if override.local_date else _("always skipped")
    return _("own text for {name}", name=municipality.name)


async def _occurrence_view(
    context: BotContext, _: Translator, municipality: Municipality, day: date, entry_id: str
) -> tuple[str, InlineKeyboardMarkup]:
    override = await context.services.outbox.override_for(
        municipality.slug, entry_id, day.isoformat()
    )
    entry = context.services.calendar.get(entry_id)
    texts = override.texts if override and override.texts else entry.texts
    index = context.services.config.municipalities.index(municipality)
    ref = f"{index}:{day:%Y%m%d}:{entry_id}"
    # Only the skips that would change something: skipped this time can still become always.
    skipped = override is not None and override.action == "skip"
    skips = [] if skipped else [_button(_("Skip this time"), f"s1:{ref}")]
    if not (skipped and override is not None and not override.local_date):
        skips.append(_button(_("Skip always"), f"sa:{ref}"))
    rows = [row for row in (skips, [_button(_("Replace text"), f"r:{ref}")]) if row]
    if override is not None:
        rows.append([_button(_("Back to the default"), f"d:{ref}")])
    rows.append([_button(_("Back to the month"), f"p:{index}:{day:%Y%m}")])
    text = "\n".join(
        [
            _(
                "<b>{entry}</b> on {date} for {name}: {status}",
                entry=title_of(entry.text(_.locale)),
                date=_.fmt_date(day, "EEEE d MMMM y"),
                name=municipality.name,
                status=_status(_, override, municipality, local=entry.local),
            ),
            # The id that `/buttons off ENTRY` and `buurtwacht calendar` take.
            _("Entry id: <code>{id}</code>", id=entry.id),
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
    changed = True
    if action in ("s1", "sa"):
        changed = await tailoring.skip(
            services, user.id, municipality.slug, entry_id, day, always=action == "sa"
        )
    elif action == "d":
        changed = await tailoring.restore(services, user.id, municipality.slug, entry_id, day)
    if not changed:
        await query.answer()  # already so: the view shows it, nothing to redraw
        return
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
            entry=title_of(context.services.calendar.get(entry_id).text(_.locale)),
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
    if await refuse_text(update, context, message.text_html, MAX_TEXT_LENGTH):
        return REPLACE
    services = context.services
    _ = await context.translator(update)
    if left := unfilled(message.text_html):
        await message.reply_text(
            _(
                "Please fill in or remove {parts} first, then send the whole text again. "
                "/cancel keeps the current text.",
                parts=", ".join(left),
            )
        )
        return REPLACE
    texts = dict.fromkeys(services.i18n.available, message.text_html)
    await tailoring.replace(services, user.id, municipality.slug, entry_id, texts)
    context.user_data.pop(REPLACE_KEY, None)
    text, markup = await _occurrence_view(context, _, municipality, day, entry_id)
    await send(update, context, text, markup)
    return END


async def cancel_replace(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(REPLACE_KEY, None)
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("Cancelled. The text is unchanged."))
    return END


async def _send_ics(update: Update, context: BotContext, slugs: set[str]) -> None:
    """The next 12 months of calendar messages and campaigns as one .ics file: one event per
    moment, naming the municipalities it goes to; skipped ones are left out."""
    _ = await context.translator(update)
    services = context.services
    config = services.config
    now = services.now()
    today = _today(services)
    skips = {slug: await tailoring.overrides_of(services, slug) for slug in slugs}

    def skipped(slug: str, entry_id: str, day: date) -> bool:
        return _override_mark(skips.get(slug, {}), entry_id, day) == MARKS["skip"]

    items = in_order(
        calendar_items(
            services.calendar,
            config,
            slugs,
            today,
            today + timedelta(days=ICS_DAYS),
            _.locale,
            skipped,
        ),
        campaign_items(
            await services.campaigns.between(now, now + timedelta(days=ICS_DAYS)), slugs, _.locale
        ),
    )
    events = ics_events(_, config, items)
    name = _("Buurtwacht – {scope}", scope=scope_text(_, config, slugs))
    assert update.effective_message is not None
    await update.effective_message.reply_document(
        events_to_ics(events, name, config.locale.tz, now),
        filename="buurtwacht.ics",
        caption=_(
            "{n} calendar messages and campaigns of the next 12 months for {scope}, for your "
            "agenda. Importing a newer file updates the events.",
            n=len(events),
            scope=scope_text(_, config, slugs),
        ),
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        persistent_conversation(
            "tailor",
            entry_points=[CallbackQueryHandler(on_replace, pattern=rf"^{PREFIX}:r:{OCCURRENCE}$")],
            states={
                REPLACE: [MessageHandler(filters.TEXT & ~filters.COMMAND, on_replace_text)],
            },
            fallbacks=[CommandHandler(list(CANCEL), cancel_replace)],
        )
    )
    app.add_handler(CommandHandler(["calendar", "kalender"], calendar))
    app.add_handler(
        CallbackQueryHandler(on_municipality, pattern=rf"^{PREFIX}:(m:\d+|p:\d+:\d{{6}})$")
    )
    app.add_handler(
        CallbackQueryHandler(on_occurrence, pattern=rf"^{PREFIX}:(o|s1|sa|d):{OCCURRENCE}$")
    )
