"""Placeholders in calendar texts, filled in per municipality when an occurrence becomes due.

`{name}` is replaced by a value from data (the municipality's name, its burglary figures), and the
value is HTML-escaped. The set of names is closed: an unknown name is a problem for
`buurtwacht calendar check`, and a text that still holds one when it is due is not sent.
`[like this]` marks a part that a municipality writes itself. It may appear only in the example
text of a local entry (`local = true`), which is never sent as it is.

Pure functions over strings, so the loader, the CLI, the chat and the scheduler share one rule.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from babel.numbers import format_decimal

PLACEHOLDERS: dict[str, str] = {
    "municipality": "the municipality's name",
    "latest_year": "the latest year with a home burglary figure for the municipality",
    "latest_burglaries": "home burglaries in the municipality in that year",
    "first_year": "the earliest year with a figure",
    "first_burglaries": "home burglaries in the municipality in that year",
    "change": "the change from the earliest to the latest year in per cent, with its sign",
}
FIGURE_PLACEHOLDERS = frozenset(PLACEHOLDERS) - {"municipality"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SLOT = re.compile(r"\[[^\[\]\n]+\]")


def placeholder_names(text: str) -> set[str]:
    """Every `{name}` in the text, known or not."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(text)}


def placeholder_problems(text: str) -> list[str]:
    """Unknown placeholder names and braces that open or close no placeholder."""
    problems = [
        f"unknown placeholder {{{name}}} (known: {', '.join(sorted(PLACEHOLDERS))})"
        for name in sorted(placeholder_names(text) - set(PLACEHOLDERS))
    ]
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        problems.append("a brace that is not part of a placeholder (write placeholders as {name})")
    return problems


def slots(text: str) -> list[str]:
    """The `[parts to fill in]` of a local entry's example text, in order."""
    return _SLOT.findall(text)


def unfilled(text: str) -> list[str]:
    """What keeps a text from being sent: parts still to fill in and unknown placeholders."""
    unknown = sorted(placeholder_names(text) - set(PLACEHOLDERS))
    return [*slots(text), *(f"{{{name}}}" for name in unknown)]


def figure_values(per_year: Mapping[int, int], locale: str) -> dict[str, str] | None:
    """The figure placeholders' values, or None when the figures cannot fill them honestly
    (fewer than two years, or no burglaries in the first year to compare with)."""
    if len(per_year) < 2:
        return None
    first_year, latest_year = min(per_year), max(per_year)
    first, latest = per_year[first_year], per_year[latest_year]
    if first == 0:
        return None
    percent = round((latest - first) * 100 / first)
    sign = "+" if percent > 0 else "-" if percent < 0 else ""
    return {
        "latest_year": str(latest_year),
        "latest_burglaries": format_decimal(latest, locale=locale),
        "first_year": str(first_year),
        "first_burglaries": format_decimal(first, locale=locale),
        "change": f"{sign}{format_decimal(abs(percent), locale=locale)}%",
    }


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with every placeholder replaced by its escaped value; KeyError for a name
    without a value (callers check `placeholder_names` against what they can fill first)."""
    return _PLACEHOLDER.sub(lambda m: html.escape(values[m.group(1)]), text)
