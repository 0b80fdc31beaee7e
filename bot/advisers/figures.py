"""Yearly burglary figures per municipality: the shipped seed table and validated CSV imports.

The seed (seed report, 2016-2018) ships as package data; imported years are rows in SQLite and win
over the seed for the same municipality and year, so a corrected figure can be imported too.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from bot.config import Config

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

COLUMNS = ("municipality", "year", "burglaries")
FIRST_YEAR = 2000
# Far above any municipality's year (all of Twente had 1,939 in 2016); an import that is off
# by orders of magnitude is a mistake, and SQLite's INTEGER ends at 2**63 anyway.
MAX_BURGLARIES = 100_000
WHOLE_RE = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True)
class Figure:
    municipality: str  # slug
    year: int
    burglaries: int


def parse_figures(data: bytes, config: Config, last_year: int) -> tuple[list[Figure], list[str]]:
    """Rows of a `municipality,year,burglaries` CSV file, and every problem with its line.

    The municipality may be given by slug or by name; years run from 2000 to `last_year`,
    counts from 0 to MAX_BURGLARIES. Nothing in the file can crash this: a line that is not
    UTF-8, a row with too few or too many columns, a number of any size or a file that is not
    CSV at all is a problem on its line.
    """
    text, problems = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _next_row(reader, problems)
    if header is None or [name.strip().lower() for name in header] != list(COLUMNS):
        got = "an empty file" if header is None else repr(",".join(header))
        return [], [*problems, f"line 1: expected the header {','.join(COLUMNS)}, got {got}"]
    figures: list[Figure] = []
    seen: set[tuple[str, int]] = set()
    while (row := _next_row(reader, problems)) is not None:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # an empty line (or one that was not UTF-8, already reported)
        if len(row) != len(COLUMNS):
            problems.append(
                f"line {line}: expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), "
                f"got {len(row)}"
            )
            continue
        name, year_text, count_text = (value.strip() for value in row)
        slug = config.find_municipality(name)
        if slug is None:
            problems.append(f"line {line}: unknown municipality {_shown(name)}")
        year = _whole(year_text, FIRST_YEAR, last_year)
        if year is None:
            problems.append(
                f"line {line}: year must be a whole number from {FIRST_YEAR} to {last_year}, "
                f"got {_shown(year_text)}"
            )
        count = _whole(count_text, 0, MAX_BURGLARIES)
        if count is None:
            problems.append(
                f"line {line}: burglaries must be a whole number from 0 to {MAX_BURGLARIES}, "
                f"got {_shown(count_text)}"
            )
        if slug is None or year is None or count is None:
            continue
        if (slug, year) in seen:
            problems.append(f"line {line}: {slug} {year} appears twice")
        seen.add((slug, year))
        figures.append(Figure(slug, year, count))
    return figures, problems


def _decode(data: bytes) -> tuple[str, list[str]]:
    """The file as text; a line that is not UTF-8 is a problem and is read as empty."""
    lines, problems = [], []
    for number, raw in enumerate(data.removeprefix(codecs.BOM_UTF8).split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            problems.append(f"line {number}: not UTF-8 text (save the file as UTF-8 CSV)")
            lines.append("")
    return "\n".join(lines), problems


def _next_row(reader: CsvReader, problems: list[str]) -> list[str] | None:
    """The next row, skipping (and reporting) lines the csv module cannot read."""
    while True:
        try:
            return next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            problems.append(f"line {reader.line_num}: not readable as CSV ({exc})")


def _whole(value: str, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits within low..high; None otherwise (int() would
    take "1_000", "+5", other scripts' digits, and thousands of digits)."""
    if not WHOLE_RE.match(value):
        return None
    number = int(value)
    return number if low <= number <= high else None


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def seed_figures() -> list[Figure]:
    """The table of the seed report, shipped as bot/data/burglaries.csv."""
    text = resources.files("bot").joinpath("data/burglaries.csv").read_text("utf-8")
    return [
        Figure(row["municipality"], int(row["year"]), int(row["burglaries"]))
        for row in csv.DictReader(io.StringIO(text))
    ]
