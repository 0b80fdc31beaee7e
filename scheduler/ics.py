"""Occurrences as an iCalendar file, so communication advisers can see the plan in their agenda."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import icalendar

from messages.loader import Calendar
from messages.telegram_html import plain_text
from scheduler.occurrences import Occurrence


def occurrences_to_ics(occurrences: Iterable[Occurrence], calendar: Calendar, locale: str) -> bytes:
    """One VEVENT per occurrence; the UID is the idempotency key, so re-exports update events."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Buurtwacht//calendar//EN")
    cal.add("version", "2.0")
    stamp = datetime.now(UTC)
    for occ in occurrences:
        entry = calendar.get(occ.entry_id)
        text = plain_text(entry.text(locale))
        event = icalendar.Event()
        event.add("uid", f"{occ.key}@buurtwacht")
        event.add("dtstamp", stamp)
        event.add("dtstart", occ.at)
        event.add("summary", text.splitlines()[0])
        event.add("description", text)
        event.add("categories", [entry.topic])
        cal.add_component(event)
    cal.add_missing_timezones()
    result: bytes = cal.to_ical()
    return result
