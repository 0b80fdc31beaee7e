"""CSV files the bot writes, safe to open in a spreadsheet: the one writer for every export.

A cell that starts with = + - @, a tab or a carriage return is read as a formula by Excel,
LibreOffice and Google Sheets: a forged callback target such as =HYPERLINK(...) that reached
the audit log would act when an admin opens the export. As OWASP recommends (CSV Injection),
such a text cell gets a leading apostrophe, which spreadsheets show as text. Numbers are
written as they are: a negative count is not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value`, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(out: TextIO, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    """`header` and `rows` as CSV on `out`, every cell through safe_cell."""
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
