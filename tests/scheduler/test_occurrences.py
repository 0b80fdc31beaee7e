"""Expanding entries into occurrences: every trigger kind, DST nights, New Year, 29 February."""

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messages.model import Entry, MonthDay, NthWeekday, Once, Relative, Trigger, Weekly, Yearly
from scheduler.moments import MomentResolver
from scheduler.occurrences import (
    Occurrence,
    format_occurrence_line,
    local_instant,
    occurrences,
    occurrences_for_municipalities,
)

TZ = ZoneInfo("Europe/Amsterdam")
RESOLVER = MomentResolver(TZ, {})
TUESDAY, SUNDAY = 1, 6


def entry(trigger: Trigger, entry_id: str = "e") -> Entry:
    texts = {"nl": "<b>Titel</b>", "en": "<b>Title</b>"}
    return Entry(entry_id, "burglary", "both", trigger, texts, None, Path("x.toml"))


def dates(trigger: Trigger, start: date, end: date) -> list[date]:
    return [
        o.local_date
        for o in occurrences([entry(trigger)], start, end, "enschede", "noord", RESOLVER)
    ]


def test_yearly() -> None:
    trigger = Yearly(12, 31, time(16))
    (occ,) = occurrences(
        [entry(trigger)], date(2026, 1, 1), date(2026, 12, 31), "enschede", "noord", RESOLVER
    )
    assert occ.at == datetime(2026, 12, 31, 16, tzinfo=TZ)
    assert occ.at.utcoffset() == timedelta(hours=1)
    assert occ.key == "e:2026-12-31:enschede"


def test_yearly_29_february_only_in_leap_years() -> None:
    assert dates(Yearly(2, 29, time(19)), date(2025, 1, 1), date(2029, 12, 31)) == [
        date(2028, 2, 29)
    ]


def test_nth_weekday() -> None:
    first_tuesday_november = NthWeekday(11, TUESDAY, 1, time(19))
    assert dates(first_tuesday_november, date(2026, 1, 1), date(2027, 12, 31)) == [
        date(2026, 11, 3),
        date(2027, 11, 2),
    ]
    last_sunday_october = NthWeekday(10, SUNDAY, -1, time(10))
    assert dates(last_sunday_october, date(2026, 1, 1), date(2027, 12, 31)) == [
        date(2026, 10, 25),
        date(2027, 10, 31),
    ]
    last_tuesday_december = NthWeekday(12, TUESDAY, -1, time(19))
    assert dates(last_tuesday_december, date(2027, 1, 1), date(2027, 12, 31)) == [
        date(2027, 12, 28)
    ]
    # November has five Mondays in 2026 and 2027, only four in 2028: that year is skipped.
    fifth_monday = NthWeekday(11, 0, 5, time(19))
    assert dates(fifth_monday, date(2026, 1, 1), date(2028, 12, 31)) == [
        date(2026, 11, 30),
        date(2027, 11, 29),
    ]


def test_relative_uses_the_region() -> None:
    trigger = Relative("school_holiday_start:zomervakantie", -2, time(19))
    occ = occurrences_for_municipalities(
        [entry(trigger)],
        date(2027, 1, 1),
        date(2027, 12, 31),
        [("enschede", "noord"), ("utrecht", "midden")],
        RESOLVER,
    )
    assert [(o.municipality, o.local_date) for o in occ] == [
        ("enschede", date(2027, 7, 8)),
        ("utrecht", date(2027, 7, 15)),
    ]


def test_relative_across_new_year() -> None:
    # Three days after the end of the Christmas holiday that started in December 2026.
    trigger = Relative("school_holiday_end:kerstvakantie", 3, time(19))
    assert dates(trigger, date(2026, 12, 1), date(2027, 1, 31)) == [date(2027, 1, 6)]
    # Five days before a moment in January lands in the previous December: the holiday ending
    # 3 January 2027 gives 29 December 2026; the one ending 9 January 2028 gives 4 January.
    before = Relative("school_holiday_end:kerstvakantie", -5, time(19))
    assert dates(before, date(2026, 12, 1), date(2026, 12, 31)) == [date(2026, 12, 29)]
    assert dates(before, date(2027, 12, 1), date(2027, 12, 31)) == []
    assert dates(before, date(2028, 1, 1), date(2028, 1, 31)) == [date(2028, 1, 4)]


def test_weekly_across_new_year() -> None:
    # Every Tuesday from the start of winter time (25 Oct 2026) until 31 March 2027.
    trigger = Weekly(TUESDAY, time(19), "winter_time_start", MonthDay(3, 31))
    found = dates(trigger, date(2026, 4, 1), date(2027, 12, 31))
    assert found[0] == date(2026, 10, 27)
    assert date(2026, 12, 29) in found and date(2027, 1, 5) in found
    assert found[found.index(date(2027, 3, 30))] == date(2027, 3, 30)
    assert found[found.index(date(2027, 3, 30)) + 1] == date(2027, 11, 2)  # next winter
    # The winter that began in October 2025 is part of the window too.
    assert dates(trigger, date(2026, 1, 1), date(2026, 1, 31)) == [
        date(2026, 1, 6),
        date(2026, 1, 13),
        date(2026, 1, 20),
        date(2026, 1, 27),
    ]


def test_weekly_rotation() -> None:
    tips = [
        entry(Weekly(TUESDAY, time(19), "winter_time_start", MonthDay(3, 31), 6, n), f"tip{n}")
        for n in range(1, 7)
    ]
    occ = occurrences(tips, date(2026, 10, 1), date(2027, 3, 31), "enschede", "noord", RESOLVER)
    assert [o.entry_id for o in occ[:8]] == [f"tip{n}" for n in (1, 2, 3, 4, 5, 6, 1, 2)]
    assert len({o.local_date for o in occ}) == len(occ)  # one tip a week


def test_weekly_pause_leaves_dates_out_without_shifting_the_rotation() -> None:
    # Fortnightly from the start of winter time 2027 (Sunday 31 October) to its end (Sunday
    # 26 March 2028), paused from 1 December to the end of the Christmas holiday (9 January).
    trigger = Weekly(
        TUESDAY,
        time(19),
        "winter_time_start",
        "winter_time_end",
        2,
        1,
        MonthDay(12, 1),
        "school_holiday_end:kerstvakantie",
    )
    assert dates(trigger, date(2027, 10, 1), date(2028, 4, 30)) == [
        date(2027, 11, 2),
        date(2027, 11, 16),
        date(2027, 11, 30),
        date(2028, 1, 11),
        date(2028, 1, 25),
        date(2028, 2, 8),
        date(2028, 2, 22),
        date(2028, 3, 7),
        date(2028, 3, 21),
    ]


def test_week_van_de_veiligheid_is_the_tuesday_of_iso_week_41() -> None:
    trigger = Weekly(TUESDAY, time(19), MonthDay(10, 6), MonthDay(10, 12))
    found = dates(trigger, date(2020, 1, 1), date(2035, 12, 31))
    assert len(found) == 16
    # Only when week 41's Tuesday is 5 October (a leap year starting on a Thursday, 2032) is
    # the message a week later; the week is "around week 41" in the sources anyway.
    assert [d for d in found if d.isocalendar()[1:] != (41, 2)] == [date(2032, 10, 12)]


def test_once() -> None:
    trigger = Once(date(2027, 5, 1), time(10))
    assert dates(trigger, date(2027, 1, 1), date(2027, 12, 31)) == [date(2027, 5, 1)]
    assert dates(trigger, date(2028, 1, 1), date(2028, 12, 31)) == []


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 3, 28),
        date(2026, 3, 29),
        date(2026, 3, 30),
        date(2026, 10, 24),
        date(2026, 10, 25),
        date(2026, 10, 26),
        date(2027, 3, 28),
        date(2027, 10, 31),
    ],
)
def test_19_00_stays_19_00_around_dst(day: date) -> None:
    at = local_instant(day, time(19), TZ)
    assert (at.date(), at.time()) == (day, time(19))


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2027, 3, 28)])
def test_non_existent_02_30_fires_once_at_03_30(day: date) -> None:
    occ = occurrences(
        [entry(Yearly(day.month, day.day, time(2, 30)))], day, day, "enschede", "noord", RESOLVER
    )
    assert len(occ) == 1
    assert occ[0].at.time() == time(3, 30)
    assert occ[0].at.utcoffset() == timedelta(hours=2)
    assert occ[0].at.astimezone(UTC).time() == time(1, 30)


@pytest.mark.parametrize("day", [date(2026, 10, 25), date(2027, 10, 31)])
def test_ambiguous_02_30_fires_once_at_the_first(day: date) -> None:
    occ = occurrences(
        [entry(Yearly(day.month, day.day, time(2, 30)))], day, day, "enschede", "noord", RESOLVER
    )
    assert len(occ) == 1
    assert occ[0].at.time() == time(2, 30)
    assert occ[0].at.utcoffset() == timedelta(hours=2)
    assert occ[0].at.astimezone(UTC).time() == time(0, 30)


@given(
    day=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_wall_time_is_kept_except_in_the_dst_gap(day: date, at: time) -> None:
    instant = local_instant(day, at, TZ)
    in_gap = RESOLVER.resolve("winter_time_end", day.year, "noord") == [day] and at.hour == 2
    if in_gap:
        assert (instant.date(), instant.time()) == (day, at.replace(hour=3))
    else:
        assert (instant.date(), instant.time()) == (day, at)
    assert instant.fold == 0


def test_all_municipalities_share_the_work_and_sort_by_time() -> None:
    entries = [entry(Yearly(12, 31, time(16)), "late"), entry(Yearly(12, 5, time(19)), "early")]
    slugs = [(f"m{i:02d}", "noord") for i in range(14)]
    occ = occurrences_for_municipalities(
        entries, date(2026, 1, 1), date(2026, 12, 31), slugs, RESOLVER
    )
    assert len(occ) == 28
    assert [o.entry_id for o in occ[:14]] == ["early"] * 14
    assert len({o.key for o in occ}) == 28


def test_format_occurrence_line() -> None:
    e = entry(Yearly(12, 31, time(16)), "year-end-new-years-eve")
    occ = Occurrence(e.id, "enschede", date(2026, 12, 31), datetime(2026, 12, 31, 16, tzinfo=TZ))
    line = format_occurrence_line(occ, e)
    assert line.startswith("Thu 2026-12-31 16:00 CET")
    assert "enschede" in line and "year-end-new-years-eve" in line
    assert line.split()[-2:] == ["burglary", "both"]
