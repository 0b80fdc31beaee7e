"""Loading the calendar: all `calendar/*.toml` files, or nothing when any of them has a problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from messages.model import Entry
from messages.validation import Problem, parse_calendar

CALENDAR_DIR = Path(__file__).resolve().parent / "calendar"


class CalendarError(Exception):
    """Raised instead of loading a calendar with problems; `problems` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("invalid calendar:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Calendar:
    entries: tuple[Entry, ...]
    _by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {entry.id: entry for entry in self.entries})

    def get(self, entry_id: str) -> Entry:
        """The entry with `entry_id`; KeyError when there is none."""
        return self._by_id[entry_id]


def load_calendar(directory: Path = CALENDAR_DIR, images_dir: Path | None = None) -> Calendar:
    """The calendar in `directory` (default: the shipped one); raises CalendarError on problems."""
    entries, problems = parse_calendar(directory, images_dir)
    if problems:
        raise CalendarError(problems)
    return Calendar(tuple(entries))
