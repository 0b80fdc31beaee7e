"""/stats and /figures for advisers (their municipalities) and admins (all of Twente)."""

from __future__ import annotations

import html
from datetime import timedelta

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.advisers.insight import figures_chart, message_label
from bot.advisers.stats import (
    InspectionSummary,
    advice_summary,
    by_source_ref,
    delivery_counts,
    feedback_counts,
    inspection_summary,
    message_feedback,
    subscribers,
    theme_feedback,
)
from bot.advisers.texts import (
    chunks,
    counts_text,
    duration_text,
    feedback_text,
    scope_text,
    theme_text,
)
from bot.auth import guard
from bot.feedback.buttons import SOURCES
from bot.i18n import Translator
from bot.services import BotApplication, BotContext
from bot.wijkschouw.model import CATEGORIES, STATUS_NAMES
from bot.wijkschouw.texts import category_text, status_text

PERIOD = timedelta(days=30)


def subscribers_text(_: Translator, private: int, groups: int) -> str:
    """'1 private chat, 2 groups' (also for the report)."""
    return ", ".join(
        [
            _.ngettext("{n} private chat", "{n} private chats", private),
            _.ngettext("{n} group", "{n} groups", groups),
        ]
    )


async def stats(update: Update, context: BotContext) -> None:
    """Subscribers, deliveries, advice requests and alerts of the last 30 days."""
    roles = await guard(update, context, "stats")
    if not roles:
        return
    message = update.effective_message
    assert message is not None
    _ = await context.translator(update)
    services = context.services
    now = services.now()
    scope = roles.municipalities
    names = {m.slug: m.name for m in services.config.municipalities}
    lines = [
        _(
            "<b>Statistics for {scope}</b> (last 30 days)",
            scope=scope_text(_, services.config, scope),
        ),
        "",
        _("<b>Subscribers</b>"),
    ]
    for slug, s in (await subscribers(services.db, scope, now - PERIOD)).items():
        lines.append(
            _(
                "{name}: {subscribers} ({change} in 30 days)",
                name=names[slug],
                subscribers=subscribers_text(_, s.private, s.groups),
                change=f"{s.change:+d}",
            )
        )
    per_key = await delivery_counts(services.db, now, municipalities=scope, start=now - PERIOD)
    lines += ["", _("<b>Deliveries</b>")]
    totals = by_source_ref(per_key)
    for (source, ref), counts in totals.items():
        label = html.escape(await message_label(services, _, source, ref))
        lines.append(f"{label}: {counts_text(_, counts)}")
    if not totals:
        lines.append(_("Nothing was sent in this period."))
    votes = await feedback_counts(services.db, scope, start=now - PERIOD)
    per_message = {
        ref: item for ref, item in message_feedback(totals, votes).items() if ref[0] in SOURCES
    }
    if per_message:
        lines += ["", _("<b>Feedback per message</b>")]
        for (source, ref), item in per_message.items():
            label = html.escape(await message_label(services, _, source, ref))
            lines.append(f"{label}: {feedback_text(_, item)}")
        lines += ["", _("<b>Feedback per theme</b>")]
        lines += [
            f"{theme_text(_, theme)}: {feedback_text(_, item)}"
            for theme, item in theme_feedback(services.calendar, per_message).items()
        ]
    advice = await advice_summary(services.db, scope, now - PERIOD, now)
    alerts = await services.alerts.count(scope, now - PERIOD, now)
    lines += [
        "",
        _("<b>Advice requests</b>"),
        _(
            "open {open} · claimed {claimed} · closed {done}",
            open=advice.open,
            claimed=advice.claimed,
            done=advice.done,
        ),
        _(
            "median time to claim: {claim}; to close: {close}",
            claim=duration_text(_, advice.median_days_to_claim),
            close=duration_text(_, advice.median_days_to_close),
        ),
        "",
        _("<b>Alerts</b>: {n}", n=sum(alerts.values())),
        "",
        _("<b>Wijkschouw</b>"),
    ]
    inspections = await inspection_summary(services.db, scope, now - PERIOD, now)
    for slug, summary in inspections.items():
        if summary.held:
            lines += inspection_lines(_, names[slug], summary)
    if not any(s.held for s in inspections.values()):
        lines.append(_("No wijkschouw was held in this period."))
    for text in chunks(lines):
        await message.reply_text(text, parse_mode=ParseMode.HTML)


def inspection_lines(_: Translator, name: str, summary: InspectionSummary) -> list[str]:
    """A municipality's walks: how many, findings per category, and where they stand."""
    return [
        _(
            "{name}: {held} held, {findings} findings",
            name=name,
            held=summary.held,
            findings=summary.findings,
        ),
        " · ".join(
            f"{category_text(_, key)} {summary.categories[key]}"
            for key in CATEGORIES
            if summary.categories.get(key)
        ),
        " · ".join(
            f"{status_text(_, status)} {summary.statuses.get(status, 0)}" for status in STATUS_NAMES
        ),
    ]


async def figures(update: Update, context: BotContext) -> None:
    """/figures [municipality]: burglaries per year and subscribers now, as a bar chart."""
    roles = await guard(update, context, "figures")
    if not roles:
        return
    message = update.effective_message
    assert message is not None
    _ = await context.translator(update)
    services = context.services
    wanted = " ".join(context.args or [])
    slug = services.config.find_municipality(wanted) if wanted else None
    if wanted and (slug is None or slug not in roles.municipalities):
        await message.reply_text(
            _("I don't know that municipality, or it is not one of yours. Try /figures Enschede.")
        )
        return
    scope = {slug} if slug else set(roles.municipalities)
    png, title = await figures_chart(services, _, scope)
    await message.reply_photo(
        png,
        caption=_(
            "Home burglaries per year (police figures) and subscribers: {title}", title=title
        ),
    )


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["stats", "statistieken"], stats))
    app.add_handler(CommandHandler(["figures", "cijfers"], figures))
