"""The shipped calendar planned for real: coverage, rhythm, timing, and speed."""

import time as clock
from datetime import date, time
from zoneinfo import ZoneInfo

from messages import load_calendar
from scheduler.moments import MomentResolver
from scheduler.occurrences import Occurrence, occurrences, occurrences_for_municipalities

TZ = ZoneInfo("Europe/Amsterdam")


def plan_2027() -> list[Occurrence]:
    return occurrences(
        load_calendar(),
        date(2027, 1, 1),
        date(2027, 12, 31),
        "enschede",
        "noord",
        MomentResolver(TZ, {}),
    )


def test_covers_every_month() -> None:
    assert {o.local_date.month for o in plan_2027()} == set(range(1, 13))


def test_times_avoid_quiet_hours_and_the_dst_hour() -> None:
    for o in plan_2027():
        local = o.at.time()
        assert time(8) <= local <= time(21), o.key
        assert local.hour != 2


def test_advice_at_least_every_quarter() -> None:
    calendar = load_calendar()
    quarters = {
        (o.local_date.month - 1) // 3
        for o in plan_2027()
        if "/advies" in calendar.get(o.entry_id).texts["nl"]
    }
    assert quarters == {0, 1, 2, 3}


def test_a_year_for_fourteen_municipalities_is_fast() -> None:
    calendar = load_calendar()
    resolver = MomentResolver(TZ, {})
    slugs = [(f"m{i}", "noord") for i in range(14)]
    began = clock.perf_counter()
    occ = occurrences_for_municipalities(
        calendar, date(2027, 1, 1), date(2027, 12, 31), slugs, resolver
    )
    assert clock.perf_counter() - began < 2.0
    assert len(occ) == 14 * len(plan_2027())
