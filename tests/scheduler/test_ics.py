"""The iCalendar writer: what Outlook and Google Calendar need is in the file and parses back."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from scheduler.ics import IcsEvent, events_to_ics

TZ = ZoneInfo("Europe/Amsterdam")


def test_ics_round_trip() -> None:
    start = datetime(2026, 12, 31, 16, 0, tzinfo=TZ)
    event = IcsEvent(
        uid="year-end:2026-12-31@buurtwacht",
        start=start,
        end=start + timedelta(minutes=15),
        summary="Oudejaarsdag",
        description="Voor: de hele regio\n\nTekst",
        categories=("Kalenderbericht", "Iedereen"),
    )
    stamp = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    parsed = icalendar.Calendar.from_ical(events_to_ics([event], "Buurtwacht", TZ, stamp))
    assert str(parsed["METHOD"]) == "PUBLISH" and str(parsed["VERSION"]) == "2.0"
    assert str(parsed["PRODID"]).startswith("-//Buurtwacht//")
    (vevent,) = parsed.walk("VEVENT")
    assert vevent["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert vevent.decoded("DTSTART").hour == 16
    assert vevent.decoded("DTEND") - vevent.decoded("DTSTART") == timedelta(minutes=15)
    assert vevent.decoded("DTSTAMP") == stamp and vevent["DTSTAMP"].to_ical().endswith(b"Z")
    assert [str(c) for c in vevent["CATEGORIES"].cats] == ["Kalenderbericht", "Iedereen"]
    (timezone,) = parsed.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Amsterdam"
