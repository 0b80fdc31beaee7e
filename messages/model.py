"""Calendar entries as frozen dataclasses, and the closed vocabularies the TOML files may use.

The vocabularies (topics, audiences, locales, moment names) live here, not in the scheduler,
because validation must reject an unknown name before anything is scheduled; the scheduler
imports them to resolve the names and never adds its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

LOCALES = ("nl", "en")
# Shared with the subscription code; "all" reaches every subscriber whatever their topics.
TOPICS = ("burglary", "holidays", "students", "valuables", "all")
AUDIENCES = ("private", "groups", "both")

SCHOOL_HOLIDAYS = (
    "herfstvakantie",
    "kerstvakantie",
    "voorjaarsvakantie",
    "meivakantie",
    "zomervakantie",
)
# Dutch public (and Bevrijdingsdag, an optional) holidays, by stable lowercase keys.
PUBLIC_HOLIDAYS = (
    "nieuwjaarsdag",
    "goede_vrijdag",
    "pasen",
    "tweede_paasdag",
    "koningsdag",
    "bevrijdingsdag",
    "hemelvaart",
    "pinksteren",
    "tweede_pinksterdag",
    "eerste_kerstdag",
    "tweede_kerstdag",
)
SIMPLE_MOMENTS = (
    "academic_year_start",
    "introduction_week_start",
    "kick_in_start",
    "winter_time_start",
    "winter_time_end",
    "easter",
    "carnaval",
    "pakjesavond",
)


def moment_names() -> tuple[str, ...]:
    """Every moment name a `relative` or `weekly` trigger may use."""
    return (
        SIMPLE_MOMENTS
        + tuple(f"school_holiday_start:{h}" for h in SCHOOL_HOLIDAYS)
        + tuple(f"school_holiday_end:{h}" for h in SCHOOL_HOLIDAYS)
        + tuple(f"school_holiday_earliest_start:{h}" for h in SCHOOL_HOLIDAYS)
        + tuple(f"public_holiday:{h}" for h in PUBLIC_HOLIDAYS)
    )


@dataclass(frozen=True)
class Yearly:
    """Every year on month/day; 29 February therefore occurs only in leap years."""

    month: int
    day: int
    at: time


@dataclass(frozen=True)
class NthWeekday:
    """The n-th (1..5, or -1 for the last) weekday (0 = Monday) of a month; skipped if absent."""

    month: int
    weekday: int
    n: int
    at: time


@dataclass(frozen=True)
class Relative:
    """`offset_days` after a named moment (negative = before)."""

    moment: str
    offset_days: int
    at: time


@dataclass(frozen=True)
class MonthDay:
    month: int
    day: int


# A period bound: a moment name or a fixed month/day.
Bound = str | MonthDay


@dataclass(frozen=True)
class Weekly:
    """Every `every_weeks` weeks on a weekday within a period, starting with its `first_week`-th
    matching day; the period may cross New Year (it ends at the first `until` after `start`).

    An optional pause (from the first `pause_from` in the period to the first `pause_until`
    after it) leaves its dates out without shifting the rotation: the year-end messages take
    the dark-days tips' place in December.
    """

    weekday: int
    at: time
    start: Bound
    until: Bound
    every_weeks: int = 1
    first_week: int = 1
    pause_from: Bound | None = None
    pause_until: Bound | None = None


@dataclass(frozen=True)
class Once:
    on: date
    at: time


Trigger = Yearly | NthWeekday | Relative | Weekly | Once


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    audience: str
    trigger: Trigger
    # Telegram HTML per locale; every locale in LOCALES is present.
    texts: dict[str, str]
    image: Path | None
    source: Path
    # Where the facts in the texts come from (URLs or references); required in the files.
    sources: tuple[str, ...] = ()
    # Filled in by each municipality: never sent with the shipped (example) text.
    local: bool = False
    # The texts for a municipality with free_advice = false, when `texts` promise free advice.
    texts_no_free_advice: dict[str, str] | None = None

    def text(self, locale: str) -> str:
        """The text in `locale`, falling back to the first locale (Dutch) for unknown ones."""
        return self.texts.get(locale, self.texts[LOCALES[0]])

    def texts_for(self, free_advice: bool) -> dict[str, str]:
        """The texts for a municipality that does (or does not) offer free prevention advice."""
        if not free_advice and self.texts_no_free_advice is not None:
            return self.texts_no_free_advice
        return self.texts
