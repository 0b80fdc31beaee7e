"""The shipped calendar: valid, and the rules the content follows."""

import re

from messages import CALENDAR_DIR, LOCALES, TOPICS, check_calendar, load_calendar
from messages.model import Weekly


def test_shipped_calendar_has_no_problems() -> None:
    assert check_calendar(CALENDAR_DIR) == []


def test_shipped_calendar_size_and_topics() -> None:
    calendar = load_calendar()
    assert len(calendar.entries) >= 32
    assert {e.topic for e in calendar.entries} == set(TOPICS)
    assert {e.audience for e in calendar.entries} >= {"both", "groups"}
    assert calendar.get("year-end-new-years-eve").topic == "all"


def test_every_text_has_a_title_and_at_most_one_emoji() -> None:
    emoji = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
    for entry in load_calendar().entries:
        for locale in LOCALES:
            text = entry.texts[locale]
            assert text.startswith("<b>"), entry.id
            assert len(emoji.findall(text)) <= 1, entry.id


def test_advice_command_is_named_in_each_language() -> None:
    entries = [e for e in load_calendar().entries if "/advies" in e.texts["nl"]]
    assert len(entries) >= 5
    assert all("/advice" in e.texts["en"] for e in entries)


def test_dark_days_rotation_has_six_distinct_weekly_tips() -> None:
    weekly = [
        e
        for e in load_calendar().entries
        if isinstance(e.trigger, Weekly) and e.trigger.start == "winter_time_start"
    ]
    assert len(weekly) >= 6
    assert len({e.texts["nl"] for e in weekly}) == len(weekly)
    assert sorted(e.trigger.first_week for e in weekly if isinstance(e.trigger, Weekly)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
