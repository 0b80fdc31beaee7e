"""Placeholders and parts to fill in: what is known, what is left, and safe rendering."""

import pytest

from messages.placeholders import (
    figure_values,
    placeholder_problems,
    render,
    slots,
    unfilled,
)


def test_render_escapes_values_and_keeps_the_html() -> None:
    text = '<b>{municipality}</b> <a href="https://x.nl/{municipality}">link</a>'
    rendered = render(text, {"municipality": 'A & B <i>"quoted"</i>'})
    assert rendered == (
        "<b>A &amp; B &lt;i&gt;&quot;quoted&quot;&lt;/i&gt;</b> "
        '<a href="https://x.nl/A &amp; B &lt;i&gt;&quot;quoted&quot;&lt;/i&gt;">link</a>'
    )


def test_render_does_not_fill_in_placeholders_inside_values() -> None:
    assert render("{municipality}", {"municipality": "{latest_year}"}) == "{latest_year}"


def test_render_refuses_a_placeholder_without_a_value() -> None:
    with pytest.raises(KeyError):
        render("{latest_year}", {"municipality": "Losser"})


def test_problems_name_unknown_placeholders_and_stray_braces() -> None:
    assert placeholder_problems("In {municipality}, {latest_year}") == []
    (unknown,) = placeholder_problems("In {gemeente}")
    assert "unknown placeholder {gemeente}" in unknown and "municipality" in unknown
    assert placeholder_problems("a } b") == [
        "a brace that is not part of a placeholder (write placeholders as {name})"
    ]
    assert placeholder_problems("{}")[0].startswith("unknown placeholder {}")


def test_unfilled_lists_parts_to_fill_in_and_unknown_placeholders() -> None:
    text = "Op [datum] in [plaats], {municipality} {gemeente}"
    assert slots(text) == ["[datum]", "[plaats]"]
    assert unfilled(text) == ["[datum]", "[plaats]", "{gemeente}"]
    assert unfilled("Op 12 november in {municipality}") == []


def test_figure_values_from_the_seed_table() -> None:
    assert figure_values({2016: 792, 2017: 505, 2018: 402}, "nl") == {
        "latest_year": "2018",
        "latest_burglaries": "402",
        "first_year": "2016",
        "first_burglaries": "792",
        "change": "-49%",
    }
    hellendoorn = figure_values({2016: 55, 2017: 54, 2018: 93}, "en")
    assert hellendoorn is not None and hellendoorn["change"] == "+69%"


def test_figure_values_format_numbers_per_locale() -> None:
    nl = figure_values({2016: 1939, 2018: 1198}, "nl")
    en = figure_values({2016: 1939, 2018: 1198}, "en")
    assert nl is not None and en is not None
    assert (nl["first_burglaries"], en["first_burglaries"]) == ("1.939", "1,939")


@pytest.mark.parametrize("per_year", [{}, {2018: 402}, {2016: 0, 2018: 3}])
def test_figure_values_refuse_what_cannot_be_said_honestly(per_year: dict[int, int]) -> None:
    assert figure_values(per_year, "nl") is None


def test_no_change_has_no_sign() -> None:
    values = figure_values({2016: 40, 2018: 40}, "nl")
    assert values is not None and values["change"] == "0%"
