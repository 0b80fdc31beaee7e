"""Rules for when the calendar speaks, checked over whole years of real occurrences.

- Before every school holiday of a municipality's region: a reminder 7-10 days before its
  earliest start (time to arrange a timer, a neighbour, the post) and one 1-2 days before.
- The dark-days tips stop at the switch to summer time: none from that day until winter time.
- A subscriber gets at least 3 and at most 6 messages in every month: year-round communication,
  not a winter campaign. The maximum counts the local entries as if every municipality filled
  them in; the minimum does not count them, since a municipality may leave them empty.

`buurtwacht calendar check` and the tests run these for every configured municipality, on the
occurrences the planner would write, so they check the dates as they will really fall.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from messages.loader import Calendar
from messages.model import SCHOOL_HOLIDAYS, Entry, Weekly
from scheduler.moments import MomentResolver
from scheduler.occurrences import occurrences_for_municipalities

PLAN_LEAD_DAYS = range(7, 11)
SHORT_LEAD_DAYS = range(1, 3)
MIN_PER_MONTH = 3
MAX_PER_MONTH = 6
KINDS = {"private": ("private", "both"), "group": ("groups", "both")}


@dataclass
class RuleReport:
    problems: list[str] = field(default_factory=list)
    # Years that could not be checked (no school-holiday data), said once each.
    notes: list[str] = field(default_factory=list)


def is_dark_days_tip(entry: Entry) -> bool:
    return isinstance(entry.trigger, Weekly) and entry.trigger.start == "winter_time_start"


def receives(entry: Entry, kind: str, topics: frozenset[str]) -> bool:
    """Whether a chat of `kind` ("private"/"group") with `topics` gets the entry."""
    return entry.audience in KINDS[kind] and (entry.topic == "all" or entry.topic in topics)


def check_timing(
    calendar: Calendar,
    resolver: MomentResolver,
    municipalities: Sequence[tuple[str, str]],
    topics: frozenset[str],
    years: Iterable[int],
) -> RuleReport:
    """Every rule above for each (slug, school region) and each year with school-holiday data."""
    report = RuleReport()
    checked = []
    for year in sorted(set(years)):
        missing = sorted(
            {
                region
                for _slug, region in municipalities
                for name in SCHOOL_HOLIDAYS
                if not resolver.resolve(f"school_holiday_earliest_start:{name}", year, region)
            }
        )
        if missing:
            report.notes.append(
                f"{year} not checked: no school holiday data for region {', '.join(missing)} "
                "(update the holidays package)"
            )
        else:
            checked.append(year)
    if not checked:
        return report
    found = occurrences_for_municipalities(
        calendar, date(checked[0], 1, 1), date(checked[-1], 12, 31), municipalities, resolver
    )
    dates: dict[str, list[tuple[Entry, date]]] = {slug: [] for slug, _ in municipalities}
    for occ in found:
        if occ.local_date.year in checked:
            dates[occ.municipality].append((calendar.get(occ.entry_id), occ.local_date))
    # The same problem in several municipalities (they share a school region) is said once.
    by_problem: dict[str, list[str]] = {}
    for slug, region in municipalities:
        for year in checked:
            for problem in (
                *_reminders(region, year, dates[slug], resolver),
                *_dark_days(region, year, dates[slug], resolver),
                *_monthly(year, dates[slug], topics),
            ):
                by_problem.setdefault(problem, []).append(slug)
    every = len(municipalities)
    for problem, slugs in by_problem.items():
        where = f"all {every} municipalities" if len(slugs) == every > 1 else ", ".join(slugs)
        report.problems.append(f"{where}: {problem}")
    return report


def _reminders(
    region: str, year: int, dates: list[tuple[Entry, date]], resolver: MomentResolver
) -> list[str]:
    holiday_dates = [day for entry, day in dates if entry.topic == "holidays"]
    problems = []
    for name in SCHOOL_HOLIDAYS:
        for start in resolver.resolve(f"school_holiday_earliest_start:{name}", year, region):
            leads = {(start - day).days for day in holiday_dates}
            for wanted, what in ((PLAN_LEAD_DAYS, "plan"), (SHORT_LEAD_DAYS, "short")):
                if not leads & set(wanted):
                    problems.append(
                        f"no {what} reminder {wanted.start}-{wanted.stop - 1} days before "
                        f"{name} (earliest start {start})"
                    )
    return problems


def _dark_days(
    region: str, year: int, dates: list[tuple[Entry, date]], resolver: MomentResolver
) -> list[str]:
    ends = resolver.resolve("winter_time_end", year, region)
    starts = resolver.resolve("winter_time_start", year, region)
    if not (ends and starts):
        return []  # a time zone without daylight saving time has no dark-days season
    summer_time, winter_time = ends[0], starts[0]
    return [
        f"dark-days tip {entry.id} on {day}, after the clocks went forward on {summer_time}"
        for entry, day in dates
        if is_dark_days_tip(entry) and day.year == year and summer_time <= day < winter_time
    ]


def _monthly(year: int, dates: list[tuple[Entry, date]], topics: frozenset[str]) -> list[str]:
    problems = []
    for kind in KINDS:
        at_most: Counter[int] = Counter()
        at_least: Counter[int] = Counter()
        for entry, day in dates:
            if day.year == year and receives(entry, kind, topics):
                at_most[day.month] += 1
                if not entry.local:
                    at_least[day.month] += 1
        for month in range(1, 13):
            where = f"{kind} chats with topics {', '.join(sorted(topics))}"
            if at_most[month] > MAX_PER_MONTH:
                problems.append(
                    f"{where}: {at_most[month]} messages in {year}-{month:02d}, "
                    f"more than {MAX_PER_MONTH}"
                )
            if at_least[month] < MIN_PER_MONTH:
                problems.append(
                    f"{where}: {at_least[month]} messages in {year}-{month:02d}, "
                    f"fewer than {MIN_PER_MONTH}"
                )
    return problems
