"""What an advice request is: reasons, moments, the state machine, limits, reference numbers and
working days. No Telegram and no SQL here; bot/storage/advice.py stores it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal

import holidays

from bot.i18n import N_

REASONS: dict[str, str] = {
    "burglary_home": N_("Recent burglary at my home"),
    "burglary_neighbour": N_("Burglary at a neighbour's"),
    "secure_home": N_("I want to secure my home"),
}
MOMENTS: dict[str, str] = {
    "morning": N_("Weekday mornings"),
    "afternoon": N_("Weekday afternoons"),
    "evening": N_("Weekday evenings"),
    "saturday": N_("Saturday"),
}
STATUS_NAMES: dict[str, str] = {
    "new": N_("received, waiting for the team"),
    "claimed": N_("taken on by the team"),
    "planned": N_("appointment planned"),
    "done": N_("done"),
    "not_possible": N_("not possible"),
    "withdrawn": N_("removed at your request"),
}

Status = Literal["new", "claimed", "planned", "done", "not_possible", "withdrawn"]
Action = Literal["claim", "plan", "done", "not_possible"]
OPEN: tuple[Status, ...] = ("new", "claimed", "planned")
CLOSED: tuple[Status, ...] = ("done", "not_possible", "withdrawn")

# Which states each team action may start from; everything else is refused.
TRANSITIONS: dict[Action, tuple[tuple[Status, ...], Status]] = {
    "claim": (("new",), "claimed"),
    "plan": (("claimed", "planned"), "planned"),
    "done": (("claimed", "planned"), "done"),
    "not_possible": (("new", "claimed", "planned"), "not_possible"),
}

MAX_OPEN = 1
MAX_PER_WINDOW = 3
LIMIT_WINDOW = timedelta(days=30)
REMIND_AFTER_WORKING_DAYS = 2


def allowed(action: Action, status: str) -> bool:
    return status in TRANSITIONS[action][0]


def reference(year: int, number: int) -> str:
    """`PKVW-2026-0042`: the year's sequence number, at least four digits."""
    return f"PKVW-{year}-{number:04d}"


Refusal = Literal["open", "window", "municipality_hour", "municipality_day"]
CAP_PERIODS: dict[Refusal, timedelta] = {
    "municipality_hour": timedelta(hours=1),
    "municipality_day": timedelta(days=1),
}


@dataclass(frozen=True)
class LimitCheck:
    """Why a new request is refused: "open" (one is still open), "window" (3 in 30 days), or
    its municipality reached its cap of requests in the last hour or day."""

    refused: Refusal | None
    next_possible: datetime | None = None


@dataclass(frozen=True)
class MunicipalityCaps:
    """At most this many requests per municipality in any hour and any 24 hours: a flood (a
    script, or a mass call after an alert) cannot bury a team."""

    per_hour: int
    per_day: int


def check_caps(caps: MunicipalityCaps, recent: list[datetime], now: datetime) -> LimitCheck:
    """`recent`: creation times of the municipality's requests in the last day."""
    checks: tuple[tuple[Refusal, int], ...] = (
        ("municipality_hour", caps.per_hour),
        ("municipality_day", caps.per_day),
    )
    for refusal, cap in checks:
        period = CAP_PERIODS[refusal]
        in_period = sorted(t for t in recent if t > now - period)
        if len(in_period) >= cap:
            return LimitCheck(refusal, in_period[-cap] + period)
    return LimitCheck(None)


def check_limits(open_count: int, recent: list[datetime], now: datetime) -> LimitCheck:
    """`recent`: creation times of the resident's requests in the last LIMIT_WINDOW."""
    if open_count >= MAX_OPEN:
        return LimitCheck("open")
    in_window = sorted(t for t in recent if t > now - LIMIT_WINDOW)
    if len(in_window) >= MAX_PER_WINDOW:
        return LimitCheck("window", in_window[-MAX_PER_WINDOW] + LIMIT_WINDOW)
    return LimitCheck(None)


@cache
def _dutch_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, except Dutch public holidays (King's Day, Easter Monday, ...)."""
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def working_days_since(created: date, today: date) -> int:
    """Working days after the day of `created`, up to and including `today`."""
    days = (today - created).days
    return sum(is_working_day(created + timedelta(days=i)) for i in range(1, days + 1))


def waiting_too_long(status: str, created: date, today: date) -> bool:
    """Unclaimed for more than REMIND_AFTER_WORKING_DAYS: the team is reminded, and
    `buurtwacht status` asks for attention."""
    return status == "new" and working_days_since(created, today) > REMIND_AFTER_WORKING_DAYS
