"""The iCalendar export parses back with one event per occurrence."""

from datetime import date
from zoneinfo import ZoneInfo

import icalendar

from messages import load_calendar
from scheduler.ics import occurrences_to_ics
from scheduler.moments import MomentResolver
from scheduler.occurrences import occurrences

TZ = ZoneInfo("Europe/Amsterdam")


def test_ics_round_trip() -> None:
    calendar = load_calendar()
    occ = occurrences(
        calendar, date(2026, 12, 1), date(2026, 12, 31), "enschede", "noord", MomentResolver(TZ, {})
    )
    parsed = icalendar.Calendar.from_ical(occurrences_to_ics(occ, calendar, "nl"))
    events = parsed.walk("VEVENT")
    assert len(events) == len(occ) > 3
    by_uid = {str(e["UID"]): e for e in events}
    event = by_uid["year-end-new-years-eve:2026-12-31:enschede@buurtwacht"]
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert event.decoded("DTSTART").hour == 16
    assert str(event["SUMMARY"]) == "Oudejaarsavond: veel huizen zijn leeg"
    assert "<b>" not in str(event["DESCRIPTION"])
    assert event["CATEGORIES"].to_ical() == b"all"
    assert parsed.walk("VTIMEZONE")
