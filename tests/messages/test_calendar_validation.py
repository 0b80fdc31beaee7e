"""Validation of calendar files: one broken fixture per kind of problem, and the HTML rules."""

from pathlib import Path

import pytest

from messages import CalendarError, check_calendar, load_calendar

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    # (fixture directory, file, entry id or None, words the message must contain)
    ("toml_syntax", "broken.toml", None, "not valid TOML"),
    ("unknown_key_top", "top.toml", None, "unknown top-level key 'title'"),
    ("unknown_key_entry", "entry.toml", "entry-key", "unknown key 'colour'"),
    ("unknown_key_trigger", "trigger.toml", "trigger-key", "unknown key trigger.'year'"),
    ("missing_locale", "locale.toml", "no-english", "text.en is missing"),
    ("extra_locale", "locale.toml", "german-too", "text.de: locale is not one of"),
    ("unknown_topic", "topic.toml", "bad-topic", "topic 'burglaries'"),
    ("unknown_audience", "audience.toml", "bad-audience", "audience 'everyone'"),
    ("unknown_moment", "moment.toml", "bad-moment", "not a known moment"),
    ("bad_time", "time.toml", "bad-time", "trigger.time '25:00'"),
    ("bad_weekday", "weekday.toml", "bad-weekday", "'tuesdy' is not a weekday"),
    ("bad_n", "n.toml", "bad-n", "trigger.n 6"),
    ("bad_date", "date.toml", "bad-date", "02-30 is not a date"),
    ("bad_once_date", "once.toml", "bad-once", "'2027-13-01' is not a date"),
    ("text_too_long", "long.toml", "too-long", "text.nl: the text is 1026 characters, over 1024"),
    ("invalid_html_unclosed", "html.toml", "unclosed", "text.nl: <b> is never closed"),
    ("invalid_html_tag", "html.toml", "bad-tag", "text.en: tag <h1> is not allowed"),
    ("invalid_html_entity", "html.toml", "bad-entity", "entity &nbsp; is not supported"),
    ("image_missing", "image.toml", "no-image", "image file 'does-not-exist.png' not found"),
    ("duplicate_id", "b.toml", "twice", "duplicate id (also in a.toml)"),
    ("unknown_placeholder", "text.toml", "bad-placeholder", "unknown placeholder {gemeente}"),
    ("stray_brace", "text.toml", "stray-brace", "text.en: a brace that is not part of"),
    ("slot_not_local", "text.toml", "slot-not-local", "[datum] is a part to fill in"),
    ("local_without_slot", "text.toml", "local-no-slot", "text.en: a local entry's example"),
    ("free_without_variant", "text.toml", "free-promise", "text.nl promises free advice"),
    ("variant_promises_free", "text.toml", "variant-free", "text_no_free_advice.en must not"),
    ("variant_missing_locale", "text.toml", "variant-half", "text_no_free_advice.en is missing"),
    ("bad_source", "text.toml", "bad-source", "'http://www.politie.nl' is not an https://"),
    ("half_pause", "text.toml", "half-pause", "pause_from and pause_until go together"),
]


@pytest.mark.parametrize(("case", "file", "entry_id", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_broken_fixture_gives_exactly_its_problem(
    case: str, file: str, entry_id: str | None, words: str
) -> None:
    problems = check_calendar(FIXTURES / case)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.file.name == file
    assert problem.entry_id == entry_id
    assert words in problem.message


def test_loader_refuses_a_calendar_with_problems() -> None:
    with pytest.raises(CalendarError) as err:
        load_calendar(FIXTURES / "bad_time")
    assert [p.entry_id for p in err.value.problems] == ["bad-time"]
    assert "time.toml [bad-time]" in str(err.value)


def test_an_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert [p.message for p in check_calendar(tmp_path)] == ["no *.toml calendar files found"]
