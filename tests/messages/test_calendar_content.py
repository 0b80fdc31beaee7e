"""The shipped calendar: valid, and the rules the content follows."""

import re

import pytest

from messages import CALENDAR_DIR, LOCALES, TOPICS, check_calendar, load_calendar
from messages.content_rules import FREE_WORDS, without_sources
from messages.model import MonthDay, Weekly
from messages.placeholders import placeholder_names, slots
from messages.telegram_html import plain_text


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
    triggers = [e.trigger for e in weekly if isinstance(e.trigger, Weekly)]
    # Every two weeks in turn, up to the switch to summer time, paused over the year end.
    assert sorted(t.first_week for t in triggers) == [1, 3, 5, 7, 9, 11]
    assert {(t.every_weeks, t.until, t.pause_from) for t in triggers} == {
        (12, "winter_time_end", MonthDay(12, 1))
    }


def test_every_entry_names_its_sources() -> None:
    calendar = load_calendar()
    assert without_sources(calendar.entries) == []
    assert all(len(set(e.sources)) == len(e.sources) for e in calendar.entries)


def _texts(locale: str) -> dict[str, str]:
    """Every text a reader may see, variants included, as plain text."""
    found = {}
    for entry in load_calendar().entries:
        found[entry.id] = plain_text(entry.texts[locale])
        if entry.texts_no_free_advice:
            found[entry.id + "/no-free"] = plain_text(entry.texts_no_free_advice[locale])
    return found


@pytest.mark.parametrize(
    ("locale", "wrong"),
    [
        # Stop Heling is a help, not a guarantee; the old bike text promised certainty.
        ("nl", "weet je zeker"),
        ("en", "you know you are not"),
        # Only what holds: no "often" insurance discount, no "whole country", no old news.
        ("nl", "vaak korting"),
        ("en", "often gives"),
        ("nl", "heel Nederland"),
        ("en", "whole country"),
        ("nl", "sinds september 2023"),
        ("en", "since september 2023"),
        # The "three times as often" on 31 December rested on data up to 2018.
        ("nl", "drie keer"),
        ("en", "three times"),
        ("nl", "twee keer zo vaak"),
        ("en", "twice as many"),
        ("nl", "vouw dozen dicht"),
        ("en", "if you don't trust it"),
        ("en", "someone to check with you"),
        ("nl", "in veel"),
        ("en", "in many"),
    ],
)
def test_corrected_claims_are_gone(locale: str, wrong: str) -> None:
    offenders = [i for i, text in _texts(locale).items() if wrong.lower() in text.lower()]
    assert offenders == []


def test_the_student_bike_message_says_what_stop_heling_can_and_cannot() -> None:
    entry = load_calendar().get("valuables-student-bikes")
    nl, en = plain_text(entry.texts["nl"]), plain_text(entry.texts["en"])
    assert "gekocht" not in nl.splitlines()[0] and "Bought" not in en.splitlines()[0]
    assert "alleen fietsen die met hun nummer als gestolen" in nl and "strafbaar" in nl
    assert "only knows bikes that were reported stolen" in en and "a crime too" in en


def test_numbers_to_call_are_in_the_calendar_with_when() -> None:
    entry = load_calendar().get("report-which-number")
    for locale in LOCALES:
        text = plain_text(entry.texts[locale])
        assert all(number in text for number in ("112", "0900-8844", "0800-7000"))
    after = load_calendar().get("advice-after-burglary")
    for texts in (after.texts, after.texts_no_free_advice or {}):
        assert "0900-8844" in texts["nl"] and "Slachtofferhulp" in texts["nl"]
        assert "0900-8844" in texts["en"] and "Victim Support" in texts["en"]


def test_saar_says_how_to_respond() -> None:
    saar = load_calendar().get("neighbourhood-saar-rule")
    respond_nl = plain_text(saar.texts["nl"]).splitlines()[-1]
    respond_en = plain_text(saar.texts["en"]).splitlines()[-1]
    assert respond_nl.startswith("Reageer") and "licht aan" in respond_nl
    assert respond_en.startswith("Respond") and "lights on" in respond_en
    assert "respond safely" not in respond_en


def test_free_advice_is_promised_only_with_a_variant_without_it() -> None:
    promising = [
        e
        for e in load_calendar().entries
        if any(FREE_WORDS[loc].search(e.texts[loc]) for loc in FREE_WORDS)
    ]
    assert {e.id for e in promising} >= {
        "advice-q1-what-is-pkvw",
        "advice-q4-neighbours",
        "advice-after-burglary",
    }
    for entry in promising:
        assert entry.texts_no_free_advice is not None, entry.id
        # Where it is free, the text says where: the municipality's own name.
        assert all("{municipality}" in entry.texts[loc] for loc in LOCALES), entry.id
        assert not any(FREE_WORDS[loc].search(entry.texts_no_free_advice[loc]) for loc in LOCALES)


def test_local_entries_are_examples_with_parts_to_fill_in() -> None:
    local = {e.id: e for e in load_calendar().entries if e.local}
    assert set(local) == {"local-prevention-evening", "local-prevention-team"}
    for entry in local.values():
        assert all(slots(entry.texts[loc]) for loc in LOCALES)
    figures = load_calendar().get("local-burglary-figures")
    assert not figures.local
    for locale in LOCALES:
        assert {"municipality", "latest_year", "latest_burglaries", "first_year"} <= (
            placeholder_names(figures.texts[locale])
        )
