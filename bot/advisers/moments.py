"""When a campaign goes out: parsing what an adviser types, and suggesting calendar moments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.delivery import academic_overrides
from messages.loader import Calendar
from scheduler.moments import MomentResolver
from scheduler.occurrences import local_instant, occurrences_for_municipalities

MAX_AHEAD = timedelta(days=365)
_DATE_TIME = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s+(\d{1,2})[:.](\d{2})$")
_DAY_TIME = re.compile(r"^(vandaag|today|morgen|tomorrow|overmorgen)\s+(\d{1,2})[:.](\d{2})$")
_DAY_OFFSETS = {"vandaag": 0, "today": 0, "morgen": 1, "tomorrow": 1, "overmorgen": 2}

MomentProblem = Literal["format", "past", "too_far"]


def parse_moment(text: str, now: datetime, tz: ZoneInfo) -> datetime | MomentProblem:
    """`28-12-2026 19:00`, `morgen 19:00` or `tomorrow 19:00` in `tz`, in the future and within
    a year; a wall time that does not exist on a DST night moves forward like the calendar's."""
    value = " ".join(text.lower().split())
    day: date | None = None
    if m := _DATE_TIME.match(value):
        try:
            day = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return "format"
        hour, minute = int(m.group(4)), int(m.group(5))
    elif m := _DAY_TIME.match(value):
        day = now.astimezone(tz).date() + timedelta(days=_DAY_OFFSETS[m.group(1)])
        hour, minute = int(m.group(2)), int(m.group(3))
    else:
        return "format"
    if hour > 23 or minute > 59:
        return "format"
    moment = local_instant(day, time(hour, minute), tz)
    if moment <= now:
        return "past"
    if moment - now > MAX_AHEAD:
        return "too_far"
    return moment


def suggested_moments(
    calendar: Calendar,
    config: Config,
    municipalities: Iterable[str],
    now: datetime,
    count: int = 4,
) -> list[datetime]:
    """The next distinct moments of the calendar for these municipalities (30 days ahead):
    the calendar already picks moments that matter, like dark early evenings."""
    tz = config.locale.tz
    wanted = set(municipalities)
    pairs = [(m.slug, m.school_region) for m in config.municipalities if m.slug in wanted]
    today = now.astimezone(tz).date()
    occurrences = occurrences_for_municipalities(
        calendar,
        today,
        today + timedelta(days=30),
        pairs,
        MomentResolver(tz, academic_overrides(config)),
    )
    moments = sorted({occ.at for occ in occurrences if occ.at > now})
    return moments[:count]
