"""Named moments: school holidays per region, the academic year rule, DST switches, Easter."""

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from messages.model import moment_names
from scheduler.moments import PUBLIC_HOLIDAY_NAMES, MomentResolver

TZ = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def resolver() -> MomentResolver:
    return MomentResolver(TZ, {})


def test_school_holidays_2027_region_noord(resolver: MomentResolver) -> None:
    # Dates as the holidays package (0.109) gives them, weekends included as the ministry lists
    # them. Cross-check: the zomervakantie rotates between regions and noord is first in 2027
    # (noord 10 July, midden 17 July, zuid 24 July); six weeks plus the weekends on either side
    # is 44 days, Saturday 10 July to Sunday 22 August. Kerst-, voorjaars- and meivakantie
    # start on a Saturday; the Christmas holiday of 2027 ends in 2028.
    def start_end(name: str) -> tuple[list[date], list[date]]:
        return (
            resolver.resolve(f"school_holiday_start:{name}", 2027, "noord"),
            resolver.resolve(f"school_holiday_end:{name}", 2027, "noord"),
        )

    assert start_end("voorjaarsvakantie") == ([date(2027, 2, 20)], [date(2027, 2, 28)])
    assert start_end("meivakantie") == ([date(2027, 4, 24)], [date(2027, 5, 2)])
    assert start_end("zomervakantie") == ([date(2027, 7, 10)], [date(2027, 8, 22)])
    assert start_end("herfstvakantie") == ([date(2027, 10, 16)], [date(2027, 10, 24)])
    # The 2027 Christmas holiday ends on 9 January 2028; the one ending in 2027 began in 2026.
    assert start_end("kerstvakantie") == ([date(2027, 12, 25)], [date(2027, 1, 3)])
    assert resolver.resolve("school_holiday_end:kerstvakantie", 2028, "noord") == [date(2028, 1, 9)]
    assert (date(2027, 7, 10) - date(2027, 8, 22)).days == -43


def test_christmas_holiday_crosses_new_year(resolver: MomentResolver) -> None:
    assert resolver.resolve("school_holiday_start:kerstvakantie", 2026, "noord") == [
        date(2026, 12, 19)
    ]
    assert resolver.resolve("school_holiday_end:kerstvakantie", 2027, "noord") == [date(2027, 1, 3)]


def test_regions_differ(resolver: MomentResolver) -> None:
    starts = {
        region: resolver.resolve("school_holiday_start:zomervakantie", 2027, region)
        for region in ("noord", "midden", "zuid")
    }
    assert starts == {
        "noord": [date(2027, 7, 10)],
        "midden": [date(2027, 7, 17)],
        "zuid": [date(2027, 7, 24)],
    }


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_academic_year_starts_monday_of_iso_week_36(resolver: MomentResolver, year: int) -> None:
    (start,) = resolver.resolve("academic_year_start", year, "noord")
    assert start.isocalendar()[1:] == (36, 1)
    (intro,) = resolver.resolve("introduction_week_start", year, "noord")
    assert intro.isocalendar()[1:] == (35, 1)


def test_academic_year_exact_dates(resolver: MomentResolver) -> None:
    # Christmas holiday 2027 starts Saturday 25 December; first Monday 27 December; -16 weeks.
    assert resolver.resolve("academic_year_start", 2027, "zuid") == [date(2027, 9, 6)]
    assert resolver.resolve("academic_year_start", 2026, "noord") == [date(2026, 8, 31)]
    assert resolver.resolve("academic_year_start", 2025, "noord") == [date(2025, 9, 1)]


def test_academic_year_override_moves_introduction_week_too() -> None:
    resolver = MomentResolver(TZ, {2027: date(2027, 8, 30)})
    assert resolver.resolve("academic_year_start", 2027, "noord") == [date(2027, 8, 30)]
    assert resolver.resolve("introduction_week_start", 2027, "noord") == [date(2027, 8, 23)]
    assert resolver.resolve("kick_in_start", 2027, "noord") == [date(2027, 8, 18)]
    assert resolver.resolve("academic_year_start", 2026, "noord") == [date(2026, 8, 31)]


def test_kick_in_starts_on_the_wednesday_before_saxions_intro(resolver: MomentResolver) -> None:
    # 2021 as the anchor: Kick-In from Wednesday 25 August, UT year from Monday 6 September.
    assert MomentResolver(TZ, {2021: date(2021, 9, 6)}).resolve("kick_in_start", 2021, "x") == [
        date(2021, 8, 25)
    ]
    for year in (2027, 2028, 2029):
        (kick_in,) = resolver.resolve("kick_in_start", year, "noord")
        (intro,) = resolver.resolve("introduction_week_start", year, "noord")
        assert kick_in.weekday() == 2 and kick_in.isocalendar()[1] == intro.isocalendar()[1] - 1
    assert resolver.resolve("kick_in_start", 2027, "noord") == [date(2027, 8, 25)]


@pytest.mark.parametrize(
    ("year", "fixed", "earliest"),
    [
        # The fixed week of the May holiday (the package) and a possible extra week before it.
        (2027, date(2027, 4, 24), date(2027, 4, 17)),
        (2028, date(2028, 4, 29), date(2028, 4, 22)),
        (2029, date(2029, 4, 28), date(2029, 4, 21)),
    ],
)
def test_may_holiday_can_start_a_week_before_the_fixed_week(
    resolver: MomentResolver, year: int, fixed: date, earliest: date
) -> None:
    for region in ("noord", "midden", "zuid"):
        assert resolver.resolve("school_holiday_start:meivakantie", year, region) == [fixed]
        assert resolver.resolve("school_holiday_earliest_start:meivakantie", year, region) == [
            earliest
        ]


def test_other_holidays_start_at_their_earliest(resolver: MomentResolver) -> None:
    for name in ("herfstvakantie", "kerstvakantie", "voorjaarsvakantie", "zomervakantie"):
        for region in ("noord", "midden", "zuid"):
            assert resolver.resolve(
                f"school_holiday_earliest_start:{name}", 2028, region
            ) == resolver.resolve(f"school_holiday_start:{name}", 2028, region)


@pytest.mark.parametrize(
    ("year", "start", "end"),
    [(2026, date(2026, 10, 25), date(2026, 3, 29)), (2027, date(2027, 10, 31), date(2027, 3, 28))],
)
def test_dst_switches(resolver: MomentResolver, year: int, start: date, end: date) -> None:
    assert resolver.resolve("winter_time_start", year, "noord") == [start]
    assert resolver.resolve("winter_time_end", year, "noord") == [end]


def test_dst_switches_follow_the_time_zone() -> None:
    # A zone without DST has no switches: the dates come from the tz data, not from a rule.
    assert MomentResolver(ZoneInfo("UTC")).resolve("winter_time_start", 2027, "noord") == []


def test_easter_carnaval_pakjesavond(resolver: MomentResolver) -> None:
    assert resolver.resolve("easter", 2027, "noord") == [date(2027, 3, 28)]
    assert resolver.resolve("carnaval", 2027, "noord") == [date(2027, 2, 7)]
    assert resolver.resolve("carnaval", 2026, "noord") == [date(2026, 2, 15)]
    assert resolver.resolve("pakjesavond", 2026, "noord") == [date(2026, 12, 5)]


def test_public_holidays(resolver: MomentResolver) -> None:
    assert resolver.resolve("public_holiday:koningsdag", 2025, "noord") == [date(2025, 4, 26)]
    assert resolver.resolve("public_holiday:koningsdag", 2027, "noord") == [date(2027, 4, 27)]
    assert resolver.resolve("public_holiday:hemelvaart", 2027, "noord") == [date(2027, 5, 6)]
    assert resolver.resolve("public_holiday:pinksteren", 2027, "noord") == [date(2027, 5, 16)]
    # Bevrijdingsdag is a day off only every fifth year, but it is a moment every year.
    for year in (2025, 2026, 2027):
        assert resolver.resolve("public_holiday:bevrijdingsdag", year, "noord") == [
            date(year, 5, 5)
        ]


def test_every_public_holiday_key_exists_in_the_package(resolver: MomentResolver) -> None:
    for key in PUBLIC_HOLIDAY_NAMES:
        assert resolver.resolve(f"public_holiday:{key}", 2027, "noord"), key


def test_every_moment_resolves_in_2027(resolver: MomentResolver) -> None:
    for name in moment_names():
        assert resolver.resolve(name, 2027, "noord"), name


def test_years_without_school_data_give_no_dates(resolver: MomentResolver) -> None:
    assert resolver.resolve("school_holiday_start:herfstvakantie", 2040, "noord") == []
    assert resolver.resolve("academic_year_start", 2040, "noord") == []


def test_school_holiday_lookups_are_cached(
    resolver: MomentResolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = holidays.country_holidays

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["years"])
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    for _ in range(3):
        for name in ("herfstvakantie", "kerstvakantie"):
            resolver.resolve(f"school_holiday_start:{name}", 2027, "noord")
    assert sorted(calls) == [2026, 2027, 2028]
