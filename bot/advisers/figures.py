"""Yearly burglary figures per municipality: the shipped seed table and validated CSV imports.

The seed (seed report, 2016-2018) ships as package data; imported years are rows in SQLite and win
over the seed for the same municipality and year, so a corrected figure can be imported too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

from bot.config import Config

COLUMNS = ("municipality", "year", "burglaries")
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Figure:
    municipality: str  # slug
    year: int
    burglaries: int


def parse_figures(text: str, config: Config, last_year: int) -> tuple[list[Figure], list[str]]:
    """Rows of a `municipality,year,burglaries` CSV, or every problem with its line number.

    The municipality may be given by slug or by name; years run from 2000 to `last_year`.
    """
    reader = csv.DictReader(io.StringIO(text))
    if tuple(name.strip().lower() for name in reader.fieldnames or ()) != COLUMNS:
        return [], [f"line 1: expected the header {','.join(COLUMNS)}"]
    by_name = {m.name.lower(): m.slug for m in config.municipalities}
    by_name.update({m.slug: m.slug for m in config.municipalities})
    figures: list[Figure] = []
    problems: list[str] = []
    seen: set[tuple[str, int]] = set()
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        slug = by_name.get(row["municipality"].lower())
        if slug is None:
            problems.append(f"line {line}: unknown municipality {row['municipality']!r}")
        year = _integer(row["year"])
        if year is None or not FIRST_YEAR <= year <= last_year:
            problems.append(
                f"line {line}: year must be a whole number from {FIRST_YEAR} to {last_year}, "
                f"got {row['year']!r}"
            )
        count = _integer(row["burglaries"])
        if count is None or count < 0:
            problems.append(
                f"line {line}: burglaries must be a whole number, 0 or more, "
                f"got {row['burglaries']!r}"
            )
        if slug is None or year is None or count is None:
            continue
        if (slug, year) in seen:
            problems.append(f"line {line}: {slug} {year} appears twice")
        seen.add((slug, year))
        figures.append(Figure(slug, year, count))
    return figures, problems


def _integer(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def seed_figures() -> list[Figure]:
    """The table of the seed report, shipped as bot/data/burglaries.csv."""
    text = resources.files("bot").joinpath("data/burglaries.csv").read_text("utf-8")
    return [
        Figure(row["municipality"], int(row["year"]), int(row["burglaries"]))
        for row in csv.DictReader(io.StringIO(text))
    ]
