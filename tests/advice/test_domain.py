"""Validation, limits, reference numbers and working days (no Telegram, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.advice.requests import allowed, check_limits, reference, working_days_since
from bot.advice.validation import (
    AppointmentError,
    Postcode,
    format_phone,
    parse_appointment,
    parse_house_number,
    parse_name,
    parse_note,
    parse_phone,
    parse_postcode,
)

TZ = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # Tuesday, 13:00 in Amsterdam


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7511 AB", Postcode(7511, "AB")),
        ("7511ab", Postcode(7511, "AB")),
        ("  7511   aB ", Postcode(7511, "AB")),
        ("0511 AB", None),  # no leading zero
        ("751 AB", None),
        ("7511 A", None),
        ("7511 SS", None),  # never issued
        ("7511-AB", None),
        ("", None),
        # Pasted from a web page or a phone's contact card: invisible characters, full-width
        # or Arabic-Indic digits are the same postcode.
        ("7511 AB\u200b", Postcode(7511, "AB")),
        ("\ufeff7511\u00a0AB", Postcode(7511, "AB")),
        ("\u200e7511 AB\u200f", Postcode(7511, "AB")),
        ("\uff17\uff15\uff11\uff11\uff21\uff22", Postcode(7511, "AB")),
    ],
)
def test_postcode(text: str, expected: Postcode | None) -> None:
    assert parse_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", "12"),
        ("12a", "12A"),
        ("12 A", "12A"),
        ("12-2", "12-2"),
        ("12 bis", "12-BIS"),
        ("99999", "99999"),
        ("0", None),
        ("123456", None),
        ("a12", None),
        ("12 abcde", None),
        ("", None),
        # Stored as the team must type it into a map: ASCII digits, no invisible characters.
        ("1\u0662", "12"),
        ("\uff11\uff12a", "12A"),
        ("12\u200b", "12"),
    ],
)
def test_house_number(text: str, expected: str | None) -> None:
    assert parse_house_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06 12345678", "+31612345678"),
        ("+31 6 12345678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("053-4812345", "+31534812345"),  # Enschede landline
        ("074 2459876", "+31742459876"),  # Hengelo landline
        ("0612345", None),  # too short
        ("0900 1234567", None),  # premium rate, not a mobile or landline
        ("+49 30 1234567", None),  # German
        ("hello", None),
        ("1" * 50, None),
    ],
)
def test_phone(text: str, expected: str | None) -> None:
    assert parse_phone(text) == expected


def test_phone_display() -> None:
    assert format_phone("+31612345678") == "06 12345678"


def test_name_and_note() -> None:
    assert parse_name("  Jan   de Vries ") == "Jan de Vries"
    assert parse_name("José Ñúñez-O'Brien") == "José Ñúñez-O'Brien"
    for bad in ("", "   ", "1234", "<b>Jan</b>", "x" * 81, "\u200b\u200f"):
        assert parse_name(bad) is None
    # Persian writes some names with a zero-width non-joiner: part of the name, kept.
    mahnaz = "\u0645\u0647\u200c\u0646\u0627\u0632"
    assert parse_name(mahnaz) == mahnaz
    # Direction marks (an RTL keyboard, a pasted contact) and an override that would turn the
    # name around on the team's screen are invisible: dropped, the name stays.
    assert parse_name("\u200fAnna de Vries\u200e") == "Anna de Vries"
    assert parse_name("Anna \u202eseirV ed") == "Anna seirV ed"
    assert parse_note(" no  answer ") == "no answer"
    assert parse_note("x" * 201) is None and parse_note("  ") is None


def test_appointment_formats_and_year() -> None:
    expected = datetime(2026, 3, 14, 19, 30, tzinfo=TZ)
    for text in ("14-03-2026 19:30", "14/3/2026 19.30", "2026-03-14 19:30", "14-3 19:30"):
        assert parse_appointment(text, NOW, TZ) == expected
    # Planning in December for January without a year: next year is meant.
    december = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
    assert parse_appointment("5-1 10:00", december, TZ).year == 2027


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9-3-2026 10:00", "past"),
        ("10-3-2026 12:59", "past"),  # earlier today
        ("9-3 10:00", "past"),  # yesterday without a year stays in the past
        ("10-3-2028 10:00", "too_far"),
        ("31-02-2026 10:00", "format"),
        ("14-03-2026 25:00", "format"),
        ("tomorrow", "format"),
    ],
)
def test_appointment_errors(text: str, reason: str) -> None:
    with pytest.raises(AppointmentError) as info:
        parse_appointment(text, NOW, TZ)
    assert info.value.reason == reason


def test_reference_and_transitions() -> None:
    assert reference(2026, 42) == "PKVW-2026-0042"
    assert reference(2026, 12345) == "PKVW-2026-12345"
    assert allowed("claim", "new") and not allowed("claim", "claimed")
    assert allowed("plan", "claimed") and allowed("plan", "planned") and not allowed("plan", "new")
    assert allowed("done", "planned") and not allowed("done", "done")
    assert allowed("not_possible", "new") and not allowed("not_possible", "withdrawn")


def test_limits() -> None:
    assert check_limits(1, [], NOW).refused == "open"
    recent = [NOW - timedelta(days=d) for d in (1, 10, 29)]
    result = check_limits(0, recent, NOW)
    assert result.refused == "window"
    assert result.next_possible == NOW - timedelta(days=29) + timedelta(days=30)
    assert check_limits(0, [NOW - timedelta(days=d) for d in (1, 10, 31)], NOW).refused is None


def test_working_days() -> None:
    monday = date(2026, 3, 9)
    assert working_days_since(monday, monday) == 0
    assert working_days_since(monday, date(2026, 3, 11)) == 2  # Tue, Wed
    assert working_days_since(monday, date(2026, 3, 12)) == 3
    friday = date(2026, 3, 13)
    assert working_days_since(friday, date(2026, 3, 17)) == 2  # weekend skipped: Mon, Tue
    # King's Day 2026 is Monday 27 April: not a working day.
    assert working_days_since(date(2026, 4, 24), date(2026, 4, 29)) == 2
