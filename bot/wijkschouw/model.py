"""What a wijkschouw is: the categories of findings, their statuses and allowed changes, and
the parsers for what organisers and reporters type. No Telegram and no SQL here;
bot/storage/inspections.py stores it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from bot.advice.validation import AppointmentError, parse_appointment
from bot.i18n import N_


@dataclass(frozen=True)
class Category:
    label: str
    emoji: str
    colour: str  # on the map


# What residents, the municipality and the police look for on a walk (seed report, action 4:
# lighting and sight lines, greenery, places to hide, open access, climbing aids).
CATEGORIES: dict[str, Category] = {
    "lighting": Category(N_("Lighting"), "💡", "#e6a700"),
    "greenery": Category(N_("Greenery"), "🌳", "#2e8b3e"),
    "hiding_place": Category(N_("Hiding place"), "🕳", "#6a3d9a"),
    "open_access": Category(N_("Open door, window or garage"), "🚪", "#d62728"),
    "climbing_aids": Category(N_("Ladder, bins or tools"), "🪜", "#8c564b"),
    "bikes": Category(N_("Bikes"), "🚲", "#1f77b4"),
    "other": Category(N_("Other"), "📝", "#555555"),
}

Status = Literal["open", "forwarded", "solved", "not_ours"]
STATUS_NAMES: dict[str, str] = {
    "open": N_("open"),
    "forwarded": N_("forwarded"),
    "solved": N_("solved"),
    "not_ours": N_("not our task"),
}
# The municipality's marks and the statuses each may follow; solved and "not our task" are final.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    "forwarded": ("open",),
    "solved": ("open", "forwarded"),
    "not_ours": ("open", "forwarded"),
}
MARKS: tuple[Status, ...] = ("forwarded", "solved", "not_ours")

# Every finding gets a button on the municipality's marking message (at most 100 per message).
MAX_FINDINGS = 90
_MEETING_POINT_MAX = 100
_STREET_MAX = 80


def allowed(target: Status, current: str) -> bool:
    return current in TRANSITIONS[target]


def marks_for(current: str) -> list[Status]:
    """The marks the municipality can still give a finding in `current` status."""
    return [mark for mark in MARKS if allowed(mark, current)]


def _clean(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Plan:
    walk_at: datetime
    meeting_point: str


def parse_plan(text: str, now: datetime, tz: tzinfo) -> Plan:
    """ "14-11-2026 19:00 playground Kerkstraat": the walk's date and time, then the meeting
    point. Raises AppointmentError ("format", "past", "too_far", or "meeting_point")."""
    words = text.split()
    error = AppointmentError("format")
    # The date and time are the first two words, or three with "om"/"at" between them.
    for length in (3, 2):
        if len(words) < length:
            continue
        try:
            walk_at = parse_appointment(" ".join(words[:length]), now, tz)
        except AppointmentError as exc:
            if exc.reason != "format":
                error = exc
            continue
        meeting_point = _clean(" ".join(words[length:]))
        if len(meeting_point) > _MEETING_POINT_MAX or not any(c.isalnum() for c in meeting_point):
            raise AppointmentError("meeting_point")
        return Plan(walk_at, meeting_point)
    raise error


def parse_street(text: str) -> str | None:
    """A typed place: a street with a house number or landmark, 2-80 characters."""
    street = _clean(text)
    if not 2 <= len(street) <= _STREET_MAX or not any(c.isalpha() for c in street):
        return None
    if any(not c.isprintable() for c in street):
        return None
    return street


def osm_link(latitude: float, longitude: float) -> str:
    """The point on openstreetmap.org, for readers of the report and the CSV."""
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.5f}&mlon={longitude:.5f}"
        f"#map=19/{latitude:.5f}/{longitude:.5f}"
    )
