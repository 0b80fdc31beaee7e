"""The one CSV writer neutralises what a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from bot.csv_files import safe_cell, write_csv


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(start: str) -> None:
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["enschede", "2027-01-01T10:00:00+00:00", "", "a=b", 42, -3, 1.5])
def test_everything_else_is_written_as_it_is(value: object) -> None:
    assert safe_cell(value) == value


def test_write_csv_reads_back_as_text() -> None:
    out = io.StringIO()
    write_csv(out, ["name", "n"], [['=HYPERLINK("https://evil.example","x")', -3]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["name", "n"], ['\'=HYPERLINK("https://evil.example","x")', "-3"]]
