"""Local tailoring of the calendar, for /calendar in the chat and the dashboard alike: the year's
items of some municipalities, and skipping, replacing and restoring one calendar message there.

Overrides are the calendar's storage (`calendar_overrides`) and are looked up when a message
becomes due, so a change counts even after planning. Every change is one audit row, with the
same action names wherever it was made.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

from bot.advisers.agenda import Item, alert_items, calendar_items, campaign_items, in_order
from bot.services import Services

# What happened to an occurrence locally: skipped, given its own text, or a municipality's
# own entry that nobody has written yet (it is not sent until then).
State = Literal["skip", "replace", "write"]


def local_start(services: Services, day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=services.config.locale.tz)


async def agenda(
    services: Services, slugs: Iterable[str], first: date, last: date, locale: str
) -> list[Item]:
    """Calendar messages, campaigns and alerts of `slugs` from `first` to `last` (local dates,
    inclusive), by moment."""
    wanted = set(slugs)
    start, end = local_start(services, first), local_start(services, last + timedelta(days=1))
    return in_order(
        calendar_items(services.calendar, services.config, wanted, first, last, locale),
        campaign_items(await services.campaigns.between(start, end), wanted, locale),
        alert_items(await services.alerts.between(sorted(wanted), start, end), services.config),
    )


async def overrides_of(services: Services, slug: str) -> dict[tuple[str, str], str]:
    """(entry id, local date or '' for always) -> 'skip' or 'replace', for one municipality."""
    return {
        (entry_id, o.local_date): o.action
        for _m, entry_id, o in await services.outbox.overrides(slug)
    }


def occurrence_state(
    overrides: dict[tuple[str, str], str], entry_id: str, day: date, *, local: bool = False
) -> State | None:
    """A dated override wins over an 'always' one; a local entry without one is 'write'."""
    action = overrides.get((entry_id, day.isoformat())) or overrides.get((entry_id, ""))
    if action in ("skip", "replace"):
        return "skip" if action == "skip" else "replace"
    return "write" if local else None


async def skip(
    services: Services, user_id: int, slug: str, entry_id: str, day: date, *, always: bool
) -> bool:
    """Skip the message on `day` (or always) in `slug`; whether anything changed."""
    before = await services.outbox.override_for(slug, entry_id, day.isoformat())
    local_date = "" if always else day.isoformat()
    if always:  # supersedes what was set for this day alone, which would otherwise still show
        await services.outbox.clear_override(slug, entry_id, day.isoformat())
    await services.outbox.set_override(slug, entry_id, "skip", local_date=local_date, by=user_id)
    await services.audit.record(
        user_id, "calendar.skip", f"{slug}:{entry_id}:{local_date or 'always'}", now=services.now()
    )
    return await services.outbox.override_for(slug, entry_id, day.isoformat()) != before


async def restore(services: Services, user_id: int, slug: str, entry_id: str, day: date) -> bool:
    """Back to the default text on `day` and always; whether anything changed."""
    before = await services.outbox.override_for(slug, entry_id, day.isoformat())
    for local_date in (day.isoformat(), ""):
        await services.outbox.clear_override(slug, entry_id, local_date)
    await services.audit.record(
        user_id, "calendar.default", f"{slug}:{entry_id}", now=services.now()
    )
    return before is not None


async def replace(
    services: Services, user_id: int, slug: str, entry_id: str, texts: dict[str, str]
) -> None:
    """The municipality's own text, every time, in every language (checked by the caller with
    messages.telegram_html.text_problems and messages.placeholders.unfilled)."""
    await services.outbox.set_override(slug, entry_id, "replace", texts=texts, by=user_id)
    await services.audit.record(
        user_id, "calendar.replace", f"{slug}:{entry_id}", now=services.now()
    )
