"""Agenda events as an iCalendar file that Outlook, Google Calendar and Apple Calendar import.

What they need and what we give: METHOD:PUBLISH (a published calendar, not an invitation),
PRODID and VERSION, a UTC DTSTAMP, a DTEND per event, start times with a TZID whose VTIMEZONE is
in the file, and a stable UID per event, so that importing a newer export updates the events
instead of doubling them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar


@dataclass(frozen=True)
class IcsEvent:
    uid: str
    start: datetime  # aware
    end: datetime  # aware
    summary: str
    description: str
    categories: tuple[str, ...]


def events_to_ics(events: Iterable[IcsEvent], name: str, tz: ZoneInfo, stamp: datetime) -> bytes:
    """One VEVENT per event, times in `tz` (with its VTIMEZONE), stamped `stamp` (UTC)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Buurtwacht//calendar//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz.key)
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", item.start.astimezone(tz))
        event.add("dtend", item.end.astimezone(tz))
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("categories", list(item.categories))
        event.add("transp", "TRANSPARENT")  # a message does not make anyone busy
        cal.add_component(event)
    cal.add_missing_timezones()
    result: bytes = cal.to_ical()
    return result
