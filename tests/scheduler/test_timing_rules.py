"""The timing rules: on the shipped calendar for 2027-2029, and that each rule catches what it
is for (a rule that never fails proves nothing)."""

from __future__ import annotations

import itertools
import tomllib
from collections import Counter
from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.subscription import DEFAULT_TOPICS
from messages import load_calendar
from messages.loader import Calendar
from messages.model import SCHOOL_HOLIDAYS, Entry, MonthDay, Relative, Trigger, Weekly, Yearly
from scheduler.moments import MomentResolver
from scheduler.occurrences import occurrences, occurrences_for_municipalities
from scheduler.timing_rules import (
    MAX_PER_MONTH,
    MIN_PER_MONTH,
    check_timing,
    is_dark_days_tip,
    receives,
)

TZ = ZoneInfo("Europe/Amsterdam")
YEARS = range(2027, 2030)
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
TWENTE = [(m["slug"], m["school_region"]) for m in EXAMPLE["municipalities"]]
REGIONS = ("noord", "midden", "zuid")


@pytest.fixture(scope="module")
def resolver() -> MomentResolver:
    return MomentResolver(TZ, {})


def test_shipped_calendar_meets_every_rule_for_every_municipality(
    resolver: MomentResolver,
) -> None:
    assert len(TWENTE) == 14
    report = check_timing(load_calendar(), resolver, TWENTE, DEFAULT_TOPICS, YEARS)
    assert report.problems == [] and report.notes == []


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("year", YEARS)
def test_two_reminders_before_every_school_holiday(
    resolver: MomentResolver, region: str, year: int
) -> None:
    calendar = load_calendar()
    found = occurrences(calendar, date(year - 1, 12, 1), date(year, 12, 31), "x", region, resolver)
    holiday_days = [o.local_date for o in found if calendar.get(o.entry_id).topic == "holidays"]
    for name in SCHOOL_HOLIDAYS:
        (earliest,) = resolver.resolve(f"school_holiday_earliest_start:{name}", year, region)
        leads = sorted((earliest - day).days for day in holiday_days if day < earliest)
        assert 9 in leads and 2 in leads, (name, leads[:4])
        # Nothing of it arrives after the holiday can have started.
        (start,) = resolver.resolve(f"school_holiday_start:{name}", year, region)
        assert earliest <= start


@pytest.mark.parametrize("year", YEARS)
def test_may_reminders_count_from_the_optional_week_before(
    resolver: MomentResolver, year: int
) -> None:
    calendar = load_calendar()
    found = occurrences(calendar, date(year, 3, 1), date(year, 5, 31), "x", "noord", resolver)
    may = [o.local_date for o in found if o.entry_id.startswith("holiday-meivakantie")]
    (fixed,) = resolver.resolve("school_holiday_start:meivakantie", year, "noord")
    assert sorted((fixed - day).days for day in may) == [9, 16]


@pytest.mark.parametrize("year", YEARS)
def test_dark_days_tips_end_before_the_clocks_go_forward(
    resolver: MomentResolver, year: int
) -> None:
    calendar = load_calendar()
    (spring,) = resolver.resolve("winter_time_end", year, "noord")
    (autumn,) = resolver.resolve("winter_time_start", year - 1, "noord")
    found = occurrences(calendar, autumn, spring + timedelta(days=60), "x", "noord", resolver)
    tips = [o.local_date for o in found if is_dark_days_tip(calendar.get(o.entry_id))]
    assert tips and all(autumn <= day < spring for day in tips)
    # The last one falls within two weeks of the switch, so the season really runs to it.
    assert spring - max(tips) <= timedelta(days=14)
    # And the message about the clocks going forward is the last of the season.
    (forward,) = [o.local_date for o in found if o.entry_id == "winter-time-ends"]
    assert forward == spring - timedelta(days=1) > max(tips)
    # No tip in the December pause, when the year-end messages speak.
    assert not [day for day in tips if day.month == 12]


@pytest.mark.parametrize("kind", ["private", "group"])
@pytest.mark.parametrize("year", YEARS)
def test_monthly_counts_for_a_default_subscriber(
    resolver: MomentResolver, kind: str, year: int
) -> None:
    calendar = load_calendar()
    found = occurrences_for_municipalities(
        calendar, date(year, 1, 1), date(year, 12, 31), TWENTE, resolver
    )
    for slug, _region in TWENTE:
        per_month = Counter(
            o.local_date.month
            for o in found
            if o.municipality == slug and receives(calendar.get(o.entry_id), kind, DEFAULT_TOPICS)
        )
        assert all(MIN_PER_MONTH <= per_month[m] <= MAX_PER_MONTH for m in range(1, 13)), (
            slug,
            dict(per_month),
        )
        # December used to carry 11 for these topics.
        assert per_month[12] <= MAX_PER_MONTH


def test_no_december_messages_on_consecutive_days(resolver: MomentResolver) -> None:
    calendar = load_calendar()
    for year in (2026, *YEARS):
        found = occurrences(calendar, date(year, 12, 1), date(year, 12, 31), "x", "noord", resolver)
        days = sorted(
            o.local_date
            for o in found
            if receives(calendar.get(o.entry_id), "private", DEFAULT_TOPICS)
        )
        assert all((b - a).days >= 2 for a, b in itertools.pairwise(days)), days


@pytest.mark.parametrize("year", YEARS)
def test_introduction_message_comes_with_the_earlier_kick_in(
    resolver: MomentResolver, year: int
) -> None:
    calendar = load_calendar()
    found = occurrences(calendar, date(year, 8, 1), date(year, 9, 30), "x", "noord", resolver)
    (intro,) = [o.local_date for o in found if o.entry_id == "students-introduction-week"]
    (kick_in,) = resolver.resolve("kick_in_start", year, "noord")
    (saxion,) = resolver.resolve("introduction_week_start", year, "noord")
    assert intro == kick_in < saxion


# --- each rule catches what it is for -------------------------------------------------------


def _entry(entry_id: str, trigger: Trigger, topic: str = "burglary") -> Entry:
    texts = {"nl": "<b>T</b>", "en": "<b>T</b>"}
    return Entry(entry_id, topic, "both", trigger, texts, None, Path("x.toml"), ("s",))


def _calendar_without(*ids: str, extra: tuple[Entry, ...] = ()) -> Calendar:
    kept = tuple(e for e in load_calendar().entries if e.id not in ids)
    return Calendar(kept + extra)


def test_a_reminder_too_late_is_reported(resolver: MomentResolver) -> None:
    late = _entry(
        "late",
        Relative("school_holiday_earliest_start:herfstvakantie", -4, time(19)),
        "holidays",
    )
    calendar = _calendar_without("holiday-herfstvakantie-plan", extra=(late,))
    report = check_timing(calendar, resolver, TWENTE, DEFAULT_TOPICS, [2028])
    assert report.problems == [
        "all 14 municipalities: no plan reminder 7-10 days before herfstvakantie "
        "(earliest start 2028-10-14)"
    ]


def test_may_reminders_counted_from_the_fixed_week_are_reported(
    resolver: MomentResolver,
) -> None:
    fixed = _entry("fixed", Relative("school_holiday_start:meivakantie", -2, time(19)), "holidays")
    calendar = _calendar_without("holiday-meivakantie", extra=(fixed,))
    problems = check_timing(calendar, resolver, [("enschede", "noord")], DEFAULT_TOPICS, [2027])
    assert problems.problems == [
        "enschede: no short reminder 1-2 days before meivakantie (earliest start 2027-04-17)"
    ]


def test_a_dark_days_tip_after_the_clock_change_is_reported(resolver: MomentResolver) -> None:
    tip = load_calendar().get("dark-days-tip-lighting")
    assert isinstance(tip.trigger, Weekly)
    # The old rule: every week to 31 March. In 2029 the clocks go forward on 25 March.
    old_rule = replace(
        tip, trigger=replace(tip.trigger, until=MonthDay(3, 31), every_weeks=1, first_week=1)
    )
    calendar = _calendar_without(tip.id, extra=(old_rule,))
    problems = check_timing(calendar, resolver, [("enschede", "noord")], DEFAULT_TOPICS, [2029])
    assert [p for p in problems.problems if "dark-days" in p] == [
        "enschede: dark-days tip dark-days-tip-lighting on 2029-03-27, after the clocks went "
        "forward on 2029-03-25"
    ]


def test_too_many_and_too_few_in_a_month_are_reported(resolver: MomentResolver) -> None:
    crowd = tuple(_entry(f"extra-{d}", Yearly(12, d, time(19))) for d in (2, 4))
    september = {"shorter-days-september", "neighbourhood-wijkschouw"}
    calendar = _calendar_without(*september, extra=crowd)
    problems = check_timing(calendar, resolver, [("losser", "noord")], DEFAULT_TOPICS, [2027])
    private = "losser: private chats with topics alerts, burglary, holidays, valuables"
    assert f"{private}: 7 messages in 2027-12, more than 6" in problems.problems
    assert f"{private}: 1 messages in 2027-09, fewer than 3" in problems.problems


def test_years_without_school_holiday_data_are_noted_not_failed(
    resolver: MomentResolver,
) -> None:
    report = check_timing(load_calendar(), resolver, TWENTE, DEFAULT_TOPICS, [2029, 2031])
    assert report.problems == []
    assert report.notes == [
        "2031 not checked: no school holiday data for region noord (update the holidays package)"
    ]
