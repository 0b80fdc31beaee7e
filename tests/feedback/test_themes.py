"""Every theme /stats and the report show has a name in every language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.advisers.stats import theme_of
from bot.advisers.texts import THEMES, theme_text
from bot.i18n import Catalogues
from messages.loader import load_calendar


def test_every_shipped_calendar_file_is_a_named_theme() -> None:
    calendar = load_calendar()
    themes = {theme_of(calendar, "calendar", entry.id) for entry in calendar.entries}
    assert themes and themes <= set(THEMES)
    assert {theme_of(calendar, source, "1") for source in ("campaign", "alert")} <= set(THEMES)


def test_theme_names_are_translated_and_unknown_files_keep_their_name() -> None:
    dutch = Catalogues(["nl", "en"], "nl", ZoneInfo("Europe/Amsterdam")).get("nl")
    assert theme_text(dutch, "year_end") == "Eind van het jaar"
    assert theme_text(dutch, "our_own_file") == "our_own_file"
