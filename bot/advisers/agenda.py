"""The advisers' year in one list: calendar messages, campaigns and alerts, by moment.

Shown month by month in /calendar (so that two messages on one day stand out) and exported as
iCalendar (/calendar ics, `buurtwacht calendar show --format ics`). A calendar message that goes
to several municipalities at the same moment is one item naming them all, not one per
municipality: an agenda for the whole region would otherwise hold every event fourteen times.
Titles are the first line of the text in the reader's language (every calendar entry starts with
a bold title line), so nobody has to read entry ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import Literal
from zoneinfo import ZoneInfo

from bot.advisers.broadcasts import alert_area
from bot.advisers.texts import scope_text, title_of
from bot.config import Config
from bot.delivery import academic_overrides
from bot.i18n import Translator
from bot.storage.alerts import Alert
from bot.storage.campaigns import Campaign
from bot.subscription import TOPICS
from messages.loader import Calendar
from messages.telegram_html import plain_text
from scheduler.ics import IcsEvent
from scheduler.moments import MomentResolver
from scheduler.occurrences import occurrences_for_municipalities

Kind = Literal["calendar", "campaign", "alert"]
# A message is a moment, not a meeting; agendas want an end, so each item takes a quarter.
EVENT_LENGTH = timedelta(minutes=15)
# (municipality, entry id, local date) -> skipped there?
Skipped = Callable[[str, str, date], bool]


@dataclass(frozen=True)
class Item:
    kind: Kind
    at: datetime  # aware
    ref: str  # entry id, campaign id or alert id
    municipalities: frozenset[str]
    topic: str | None  # None: every topic
    html: str  # the text in the reader's language (Telegram HTML); an alert's area


def calendar_items(
    calendar: Calendar,
    config: Config,
    slugs: Iterable[str],
    start: date,
    end: date,
    locale: str,
    skipped: Skipped | None = None,
) -> list[Item]:
    """Calendar messages from `start` to `end` (local dates, inclusive), one item per entry and
    moment with every municipality it goes to; municipalities that skip it are left out."""
    tz = config.locale.tz
    wanted = set(slugs)
    pairs = [(m.slug, m.school_region) for m in config.municipalities if m.slug in wanted]
    resolver = MomentResolver(tz, academic_overrides(config))
    grouped: dict[tuple[str, datetime], set[str]] = {}
    for occ in occurrences_for_municipalities(calendar, start, end, pairs, resolver):
        if skipped is None or not skipped(occ.municipality, occ.entry_id, occ.local_date):
            grouped.setdefault((occ.entry_id, occ.at), set()).add(occ.municipality)
    return [
        Item(
            "calendar",
            at,
            entry_id,
            frozenset(municipalities),
            calendar.get(entry_id).topic,
            calendar.get(entry_id).text(locale),
        )
        for (entry_id, at), municipalities in grouped.items()
    ]


def campaign_items(campaigns: Iterable[Campaign], slugs: Iterable[str], locale: str) -> list[Item]:
    """Campaigns that are not cancelled and reach any of `slugs`."""
    wanted = frozenset(slugs)
    return [
        Item(
            "campaign",
            c.due_at,
            str(c.id),
            c.audience.municipalities,
            c.audience.topic,
            c.content.text(locale),
        )
        for c in campaigns
        if c.state != "cancelled" and c.audience.municipalities & wanted
    ]


def alert_items(alerts: Iterable[Alert], config: Config) -> list[Item]:
    items = []
    for a in alerts:
        municipality = config.municipality(a.municipality)
        area = alert_area(municipality, list(a.neighbourhoods)) if municipality else a.municipality
        items.append(
            Item("alert", a.sent_at, str(a.id), frozenset({a.municipality}), "alerts", escape(area))
        )
    return items


def in_order(*groups: list[Item]) -> list[Item]:
    return sorted((i for g in groups for i in g), key=lambda i: (i.at, i.kind, i.ref))


def busy_days(items: Iterable[Item], tz: ZoneInfo) -> set[date]:
    """Local dates with more than one item: the clashes an adviser wants to see."""
    seen: dict[date, int] = {}
    for item in items:
        day = item.at.astimezone(tz).date()
        seen[day] = seen.get(day, 0) + 1
    return {day for day, n in seen.items() if n > 1}


def topic_label(_: Translator, topic: str | None) -> str:
    if topic in TOPICS:
        return _(TOPICS[topic])
    return _("All topics")


def item_title(_: Translator, item: Item) -> str:
    """What the item is called in a list or an agenda, in the reader's language."""
    if item.kind == "campaign":
        return _("Campaign #{id}: {title}", id=item.ref, title=title_of(item.html))
    if item.kind == "alert":
        return _("Neighbourhood alert: {area}", area=plain_text(item.html))
    return title_of(item.html)


def ics_events(_: Translator, config: Config, items: Iterable[Item]) -> list[IcsEvent]:
    """Agenda events: the title, the municipalities and the text, and categories (kind of
    message and topic) in the reader's language."""
    kinds = {"calendar": _("Calendar message"), "campaign": _("Campaign")}
    events = []
    for item in items:
        if item.kind == "alert":
            continue  # alerts are sent the moment they are written: nothing to plan
        text = plain_text(item.html)
        description = _(
            "For: {municipalities}", municipalities=scope_text(_, config, item.municipalities)
        )
        day = item.at.astimezone(config.locale.tz).date()
        uid = (
            f"{item.ref}:{day.isoformat()}@buurtwacht"
            if item.kind == "calendar"
            else f"campaign:{item.ref}@buurtwacht"
        )
        events.append(
            IcsEvent(
                uid=uid,
                start=item.at,
                end=item.at + EVENT_LENGTH,
                summary=item_title(_, item),
                description=f"{description}\n\n{text}",
                categories=(kinds[item.kind], topic_label(_, item.topic)),
            )
        )
    return events
