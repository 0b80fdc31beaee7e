"""Content: the year-round calendar entries (TOML), their loader and validation.

Imports nothing else of the project, so the scheduler and the bot can both depend on it.
"""

from messages.loader import CALENDAR_DIR, Calendar, CalendarError, load_calendar
from messages.model import AUDIENCES, LOCALES, TOPICS, Entry
from messages.telegram_html import plain_text
from messages.validation import Problem, check_calendar

__all__ = [
    "AUDIENCES",
    "CALENDAR_DIR",
    "LOCALES",
    "TOPICS",
    "Calendar",
    "CalendarError",
    "Entry",
    "Problem",
    "check_calendar",
    "load_calendar",
    "plain_text",
]
