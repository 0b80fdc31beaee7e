"""Named calendar moments (school holidays, public holidays, DST switches, ...) resolved to dates.

Everything comes from data or rules, never from hard-coded dates: school and public holidays from
the `holidays` package (school holidays per region, through the last year it carries, 2030 in
version 0.109; later years resolve to no dates), the DST switches from the time zone database,
Easter from dateutil. Lookups are cached per (region, year), because the planner re-plans the
whole year for every municipality daily.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter  # type: ignore[import-untyped]

from messages.model import PUBLIC_HOLIDAYS, SCHOOL_HOLIDAYS

# Names as the holidays package spells them in its en_US translation (checked in 0.109);
# the language is pinned so a package default change cannot break the mapping.
SCHOOL_HOLIDAY_NAMES = {
    "Autumn Break": "herfstvakantie",
    "Christmas Break": "kerstvakantie",
    "Spring Break": "voorjaarsvakantie",
    "May Break": "meivakantie",
    "Summer Break": "zomervakantie",
}
PUBLIC_HOLIDAY_NAMES = {
    "nieuwjaarsdag": "New Year's Day",
    "goede_vrijdag": "Good Friday",
    "pasen": "Easter Sunday",
    "tweede_paasdag": "Easter Monday",
    "koningsdag": "King's Day",
    # Bevrijdingsdag is a public holiday only every fifth year; the package files the other
    # years under its "optional" category, which is therefore included.
    "bevrijdingsdag": "Liberation Day",
    "hemelvaart": "Ascension Day",
    "pinksteren": "Pentecost",
    "tweede_pinksterdag": "Pentecost Monday",
    "eerste_kerstdag": "Christmas Day",
    "tweede_kerstdag": "Second Day of Christmas",
}
assert set(PUBLIC_HOLIDAY_NAMES) == set(PUBLIC_HOLIDAYS)
assert set(SCHOOL_HOLIDAY_NAMES.values()) == set(SCHOOL_HOLIDAYS)
# The University of Twente is in Enschede; the Christmas holiday is the same in every region.
UNIVERSITY_REGION = "noord"
# The ministry fixes one week of May holiday; schools may add a second week right before or right
# after it (rijksoverheid.nl, "Vaststellen data schoolvakanties"), and the second week the
# ministry advised in 2022 (23 April-1 May) and 2023 (22-30 April) was the week before. The
# holidays package carries only the fixed week, so the earliest start is computed here.
EXTRA_WEEK_BEFORE = {"meivakantie": timedelta(weeks=1)}
# UT Kick-In: from the Wednesday of the week before Saxion's INTRO week (the Monday of the week
# before the academic year): the Kick-In of 2021 ran from 25 August, the UT year began 6 September.
KICK_IN_BEFORE_INTRODUCTION = timedelta(days=5)
# A school holiday: (name, first day, last day), weekends included as the ministry lists them.
Run = tuple[str, date, date]


class MomentResolver:
    """Resolves moment names to the dates they fall on in a year, in a school region."""

    def __init__(
        self, tz: ZoneInfo, academic_year_overrides: Mapping[int, date] | None = None
    ) -> None:
        self.tz = tz
        self._academic_overrides = dict(academic_year_overrides or {})
        self._school_days: dict[tuple[str, int], dict[date, str]] = {}
        self._school_runs: dict[tuple[str, int], list[Run]] = {}
        self._public: dict[int, dict[str, list[date]]] = {}
        self._dst: dict[int, tuple[list[date], list[date]]] = {}

    def resolve(self, name: str, year: int, region: str) -> list[date]:
        """The dates in `year` on which moment `name` falls (sorted; often one, maybe none).

        A school holiday belongs to the year its start (or end) day is in: the Christmas holiday
        that starts in December 2026 has its `school_holiday_end` in January 2027.
        """
        kind, _, arg = name.partition(":")
        if kind == "school_holiday_start":
            runs = self.school_holidays(region, year)
            return [start for n, start, _ in runs if n == arg and start.year == year]
        if kind == "school_holiday_end":
            runs = self.school_holidays(region, year)
            return [end for n, _, end in runs if n == arg and end.year == year]
        if kind == "school_holiday_earliest_start":
            # The earliest day a school's holiday can begin (an optional week before the fixed
            # one); the same as the start for holidays without one.
            early = EXTRA_WEEK_BEFORE.get(arg, timedelta(0))
            runs = self.school_holidays(region, year)
            return [start - early for n, start, _ in runs if n == arg and start.year == year]
        if kind == "public_holiday":
            return self._public_holidays(year).get(PUBLIC_HOLIDAY_NAMES[arg], [])
        if name == "academic_year_start":
            return self._academic_year_start(year)
        if name == "introduction_week_start":
            return self._introduction_week_start(year)
        if name == "kick_in_start":
            return [d - KICK_IN_BEFORE_INTRODUCTION for d in self._introduction_week_start(year)]
        if name == "winter_time_start":
            return self._dst_switches(year)[0]
        if name == "winter_time_end":
            return self._dst_switches(year)[1]
        if name == "easter":
            return [easter(year)]
        if name == "carnaval":
            return [easter(year) - timedelta(weeks=7)]
        if name == "pakjesavond":
            return [date(year, 12, 5)]
        raise ValueError(f"unknown moment {name!r}")

    def school_holidays(self, region: str, year: int) -> list[Run]:
        """The school holidays of `region` that start or end in `year`, in order."""
        key = (region, year)
        if key not in self._school_runs:
            days = {
                **self._school_days_of(region, year - 1),
                **self._school_days_of(region, year),
                **self._school_days_of(region, year + 1),
            }
            runs: list[Run] = []
            for day in sorted(days):
                name = days[day]
                if runs and runs[-1][0] == name and runs[-1][2] == day - timedelta(days=1):
                    runs[-1] = (name, runs[-1][1], day)
                else:
                    runs.append((name, day, day))
            self._school_runs[key] = [r for r in runs if year in (r[1].year, r[2].year)]
        return self._school_runs[key]

    def _school_days_of(self, region: str, year: int) -> dict[date, str]:
        key = (region, year)
        if key not in self._school_days:
            found = holidays.country_holidays(
                "NL",
                subdiv=region.capitalize(),
                categories=("school",),
                years=year,
                language="en_US",
            )
            self._school_days[key] = {
                day: SCHOOL_HOLIDAY_NAMES[name]
                for day, name in found.items()
                if name in SCHOOL_HOLIDAY_NAMES
            }
        return self._school_days[key]

    def _public_holidays(self, year: int) -> dict[str, list[date]]:
        if year not in self._public:
            found = holidays.country_holidays(
                "NL", categories=("public", "optional"), years=year, language="en_US"
            )
            by_name: dict[str, list[date]] = {}
            for day, names in sorted(found.items()):
                for name in names.split("; "):  # the package joins same-day holidays with "; "
                    by_name.setdefault(name, []).append(day)
            self._public[year] = by_name
        return self._public[year]

    def _academic_year_start(self, year: int) -> list[date]:
        """University of Twente rule: the Monday 16 weeks before the first Monday of the
        Christmas holiday that starts in December of the same year (unless overridden)."""
        if year in self._academic_overrides:
            return [self._academic_overrides[year]]
        christmas = [
            start
            for name, start, _ in self.school_holidays(UNIVERSITY_REGION, year)
            if name == "kerstvakantie" and start.year == year
        ]
        result = []
        for start in christmas:
            first_monday = start + timedelta(days=-start.weekday() % 7)
            result.append(first_monday - timedelta(weeks=16))
        return result

    def _introduction_week_start(self, year: int) -> list[date]:
        """Saxion's INTRO: the Monday of the week before the academic year starts (the last week
        of August, just before ISO week 36)."""
        return [d - timedelta(days=d.weekday() + 7) for d in self._academic_year_start(year)]

    def _dst_switches(self, year: int) -> tuple[list[date], list[date]]:
        """(winter time starts, winter time ends): days whose noon UTC offset differs from the
        day before's, found in the time zone data rather than assumed to be last Sundays."""
        if year not in self._dst:
            starts: list[date] = []
            ends: list[date] = []
            day = date(year, 1, 1)
            previous = self._noon_offset(day - timedelta(days=1))
            while day.year == year:
                offset = self._noon_offset(day)
                if offset < previous:
                    starts.append(day)
                elif offset > previous:
                    ends.append(day)
                previous, day = offset, day + timedelta(days=1)
            self._dst[year] = (starts, ends)
        return self._dst[year]

    def _noon_offset(self, day: date) -> timedelta:
        offset = datetime(day.year, day.month, day.day, 12, tzinfo=self.tz).utcoffset()
        assert offset is not None
        return offset
