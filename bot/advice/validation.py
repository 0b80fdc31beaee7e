"""Parsing what a resident or team member types; every parser returns None for invalid input,
so handlers can answer with the right explanation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import phonenumbers

from bot.i18n import N_

# Dutch postcodes: four digits (no leading zero), two letters; SA, SD and SS are never issued.
_POSTCODE_RE = re.compile(r"^\s*([1-9]\d{3})\s*([A-Za-z]{2})\s*$", re.ASCII)
_EXCLUDED_LETTERS = {"SA", "SD", "SS"}
# House number 1-99999, then an optional addition: letters ("a", " bis") or, after a separator,
# letters or digits ("-2", "/hs"); "123456" is a too long number, not 12345 + 6.
_HOUSE_RE = re.compile(
    r"^\s*([1-9]\d{0,4})(?:\s*([A-Za-z]{1,4})|\s*[-/ ]\s*([A-Za-z0-9]{1,4}))?\s*$", re.ASCII
)
_NAME_MAX = 80
_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner
_NOTE_MAX = 200
# A message between team and resident: room for the header within Telegram's 4096 characters.
MESSAGE_MAX = 1500
# "14-03-2026 19:30", "14/3 19.30", "2026-03-14 19:30" (year optional in the day-first form).
_DMY_RE = re.compile(
    r"^\s*(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{4}))?\s+(?:om\s+|at\s+)?(\d{1,2})[:.](\d{2})\s*$",
    re.IGNORECASE,
)
_YMD_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2})[:.](\d{2})\s*$")
# Appointments are planned at most this far ahead.
MAX_PLAN_AHEAD = timedelta(days=365)
# What to tell someone whose date and time could not be used, per AppointmentError reason.
APPOINTMENT_PROBLEMS = {
    "format": N_("I could not read that date and time."),
    "past": N_("That moment is in the past."),
    "too_far": N_("That is more than a year ahead."),
}


@dataclass(frozen=True)
class Postcode:
    digits: int
    letters: str

    def __str__(self) -> str:
        return f"{self.digits} {self.letters}"


def _plain(text: str) -> str:
    """What a person meant to type: text pasted from a web page or a contact card carries
    invisible characters (zero-width spaces, direction marks, a byte-order mark), and some
    keyboards give full-width or Arabic-Indic digits. Those become plain ASCII here, so an
    address is matched and stored as the team types it into a map."""
    kept = (
        ch if not ch.isdecimal() else str(unicodedata.decimal(ch))
        for ch in unicodedata.normalize("NFKC", text)
        if unicodedata.category(ch) != "Cf"
    )
    return "".join(kept)


def parse_postcode(text: str) -> Postcode | None:
    """`7511ab`, `7511 AB` -> Postcode(7511, "AB")."""
    m = _POSTCODE_RE.match(_plain(text))
    if not m or m.group(2).upper() in _EXCLUDED_LETTERS:
        return None
    return Postcode(int(m.group(1)), m.group(2).upper())


def parse_house_number(text: str) -> str | None:
    """`12`, `12a`, `12 A`, `12-2`, `12 bis` -> "12", "12A", "12A", "12-2", "12-BIS"."""
    m = _HOUSE_RE.match(_plain(text))
    if not m:
        return None
    number, addition = m.group(1), (m.group(2) or m.group(3) or "").upper()
    if not addition:
        return number
    # A single letter is written against the number (12A); anything else after a dash (12-2).
    return (
        f"{number}{addition}"
        if len(addition) == 1 and addition.isalpha()
        else (f"{number}-{addition}")
    )


def _dutch_number(text: str) -> phonenumbers.PhoneNumber | None:
    """A valid Dutch number (libphonenumber knows the Dutch numbering plan, so area codes and
    lengths are checked against real data instead of a hand-written regular expression)."""
    if len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, "NL")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 31 or not phonenumbers.is_valid_number(number):
        return None
    return number


def parse_phone(text: str) -> str | None:
    """A Dutch mobile or landline number, in national or +31 form, as E.164 ("+31612345678")."""
    number = _dutch_number(text)
    if number is None or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_team_phone(text: str) -> str | None:
    """The number a team or municipality is called on: any valid Dutch number, also the
    municipal 14 0xx numbers and 0800/0900 lines (which residents may not give as their own)."""
    number = _dutch_number(text)
    return (
        None
        if number is None
        else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )


def format_phone(e164: str) -> str:
    """How a stored number is shown to people: "06 12345678", "053 123 4567"."""
    number = phonenumbers.parse(e164, "NL")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def parse_name(text: str) -> str | None:
    """A name as people write it: letters required, no markup-looking or control characters.
    Invisible format characters (direction marks, an override that would show the name reversed
    to the team) are dropped; the zero-width (non-)joiner is part of the spelling (Persian)."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch in _JOINERS)
    name = " ".join(visible.split())
    if not name or len(name) > _NAME_MAX or not any(ch.isalpha() for ch in name):
        return None
    if any(ch in "<>/\\@#{}[]" or not (ch.isprintable() or ch in _JOINERS) for ch in name):
        return None
    return name


def parse_note(text: str) -> str | None:
    """A short free-text reason (team's "not possible"); trimmed, at most 200 characters."""
    note = " ".join(text.split())
    return note if 0 < len(note) <= _NOTE_MAX else None


def parse_message(text: str) -> str | None:
    """A message for the resident or the team: not empty, at most MESSAGE_MAX characters
    (line breaks kept)."""
    message = text.strip()
    return message if 0 < len(message) <= MESSAGE_MAX else None


class AppointmentError(ValueError):
    """`reason` is "format", "past" or "too_far" (the texts are APPOINTMENT_PROBLEMS)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_appointment(text: str, now: datetime, tz: tzinfo) -> datetime:
    """A local date and time typed by a team member, as an aware datetime in the future.

    Without a year the current year is meant, or the next one when that date is more than a
    month ago (planning in December for January); a date just passed stays an error.
    """
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    local_now = now.astimezone(tz)
    year: int | None
    if m := _YMD_RE.match(text):
        year, month, day, hour, minute = (int(g) for g in m.groups())
    elif m := _DMY_RE.match(text):
        day, month = int(m.group(1)), int(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
        hour, minute = int(m.group(4)), int(m.group(5))
    else:
        raise AppointmentError("format")
    try:
        moment = _local(year or local_now.year, month, day, hour, minute, tz)
        if year is None and moment < local_now - timedelta(days=31):
            moment = _local(local_now.year + 1, month, day, hour, minute, tz)
    except ValueError:
        raise AppointmentError("format") from None
    if moment <= local_now:
        raise AppointmentError("past")
    if moment - local_now > MAX_PLAN_AHEAD:
        raise AppointmentError("too_far")
    return moment


def _local(year: int, month: int, day: int, hour: int, minute: int, tz: tzinfo) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)
