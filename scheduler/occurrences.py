"""Expanding calendar entries into dated occurrences per municipality.

Wall time to instant (Europe/Amsterdam, or whatever zone the resolver carries): each occurrence is
ONE aware datetime, so it fires exactly once even on a DST night.
- A local time that does not exist (02:30 on the last Sunday of March) moves forward by the length
  of the gap: 02:30 becomes 03:30 CEST (01:30 UTC), the same instant APScheduler's cron picks.
- A local time that exists twice (02:30 on the last Sunday of October) takes the first of the two
  (fold=0, 02:30 CEST, 00:30 UTC).
The idempotency key names the local date, so a re-plan never produces a second row for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from messages.loader import Calendar
from messages.model import Bound, Entry, MonthDay, NthWeekday, Once, Relative, Weekly, Yearly
from scheduler.moments import MomentResolver


@dataclass(frozen=True)
class Occurrence:
    entry_id: str
    municipality: str
    local_date: date
    at: datetime  # aware, in the resolver's time zone

    @property
    def key(self) -> str:
        """Idempotency key: one delivery round per entry, local day and municipality."""
        return f"{self.entry_id}:{self.local_date.isoformat()}:{self.municipality}"


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The one instant for wall time `at` on `day` (see the module docstring for DST nights)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz)


def occurrences(
    calendar_or_entries: Calendar | Iterable[Entry],
    start: date,
    end: date,
    municipality: str,
    region: str,
    resolver: MomentResolver,
) -> list[Occurrence]:
    """Occurrences from `start` to `end` (local dates, both inclusive), sorted by time."""
    return occurrences_for_municipalities(
        calendar_or_entries, start, end, [(municipality, region)], resolver
    )


def occurrences_for_municipalities(
    calendar_or_entries: Calendar | Iterable[Entry],
    start: date,
    end: date,
    municipalities: Iterable[tuple[str, str]],
    resolver: MomentResolver,
) -> list[Occurrence]:
    """Occurrences for every (slug, school region) pair, sorted by time, then slug.

    Dates are computed once per region, not per municipality: the 14 municipalities of Twente
    share one region, so a year for all of them costs about as much as one.
    """
    entries = (
        calendar_or_entries.entries
        if isinstance(calendar_or_entries, Calendar)
        else tuple(calendar_or_entries)
    )
    per_region: dict[str, list[tuple[str, date, datetime]]] = {}
    result: list[Occurrence] = []
    for slug, region in municipalities:
        if region not in per_region:
            per_region[region] = [
                (entry.id, day, local_instant(day, entry.trigger.at, resolver.tz))
                for entry in entries
                for day in entry_dates(entry, start, end, region, resolver)
            ]
        result.extend(Occurrence(eid, slug, day, at) for eid, day, at in per_region[region])
    result.sort(key=lambda o: (o.at, o.municipality, o.entry_id))
    return result


def entry_dates(
    entry: Entry, start: date, end: date, region: str, resolver: MomentResolver
) -> list[date]:
    """The local dates from `start` to `end` (inclusive) on which `entry` is due, in order."""
    trigger = entry.trigger
    years = range(start.year - 1, end.year + 2)  # relative offsets and periods cross New Year
    found: set[date] = set()
    if isinstance(trigger, Once):
        found.add(trigger.on)
    elif isinstance(trigger, Yearly):
        found.update(d for y in years if (d := _safe_date(y, trigger.month, trigger.day)))
    elif isinstance(trigger, NthWeekday):
        found.update(d for y in years if (d := _nth_weekday(y, trigger)))
    elif isinstance(trigger, Relative):
        offset = timedelta(days=trigger.offset_days)
        found.update(m + offset for y in years for m in resolver.resolve(trigger.moment, y, region))
    else:
        for y in years:
            found.update(_weekly_dates(trigger, y, region, resolver))
    return sorted(d for d in found if start <= d <= end)


def _safe_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when it does not exist that year (29 February outside leap years)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _nth_weekday(year: int, trigger: NthWeekday) -> date | None:
    if trigger.n > 0:
        first = date(year, trigger.month, 1)
        day = first + timedelta(days=(trigger.weekday - first.weekday()) % 7 + 7 * (trigger.n - 1))
    else:
        last = date(year + trigger.month // 12, trigger.month % 12 + 1, 1) - timedelta(days=1)
        day = last - timedelta(days=(last.weekday() - trigger.weekday) % 7)
    return day if day.month == trigger.month else None


def _bound_dates(bound: Bound, year: int, region: str, resolver: MomentResolver) -> list[date]:
    if isinstance(bound, MonthDay):
        day = _safe_date(year, bound.month, bound.day)
        return [day] if day else []
    return resolver.resolve(bound, year, region)


def _first_on_or_after(
    bound: Bound, after: date, region: str, resolver: MomentResolver
) -> date | None:
    """The first date of `bound` on or after `after`, looking into the next year too."""
    found = [
        d
        for y in (after.year, after.year + 1)
        for d in _bound_dates(bound, y, region, resolver)
        if d >= after
    ]
    return min(found, default=None)


def _weekly_dates(trigger: Weekly, year: int, region: str, resolver: MomentResolver) -> list[date]:
    """Dates of the period that starts in `year`; it ends at the first `until` on or after its
    start, which may be in the next year (October to March). A pause runs from the first
    `pause_from` in the period to the first `pause_until` after that; its dates are left out."""
    result = []
    for period_start in _bound_dates(trigger.start, year, region, resolver):
        end = _first_on_or_after(trigger.until, period_start, region, resolver)
        if end is None:
            continue
        pause: tuple[date, date] | None = None
        if trigger.pause_from is not None and trigger.pause_until is not None:
            pause_start = _first_on_or_after(trigger.pause_from, period_start, region, resolver)
            if pause_start is not None and pause_start <= end:
                pause_end = _first_on_or_after(trigger.pause_until, pause_start, region, resolver)
                pause = (pause_start, pause_end or end)
        day = period_start + timedelta(days=(trigger.weekday - period_start.weekday()) % 7)
        day += timedelta(weeks=trigger.first_week - 1)
        while day <= end:
            if pause is None or not pause[0] <= day <= pause[1]:
                result.append(day)
            day += timedelta(weeks=trigger.every_weeks)
    return result


def format_occurrence_line(occ: Occurrence, entry: Entry) -> str:
    """One line for `buurtwacht calendar show`: local date and time, entry, topic, audience, and
    "local" for an entry that goes out only where the municipality wrote its text."""
    local = f"{occ.at:%a %Y-%m-%d %H:%M} {occ.at.tzname():<4}"
    line = f"{local}  {occ.municipality:<16} {entry.id:<40} {entry.topic:<10} {entry.audience}"
    return f"{line}  local" if entry.local else line
