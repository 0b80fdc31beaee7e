"""Merge translations into the catalogues: `python tools/po_merge.py nl translations.json`.

Developer tool for filling many strings at once (a JSON object msgid -> text, or for a plural
entry singular msgid -> [singular, plural]);
`en` needs no file: English is the source language, so empty en entries get their msgid.
Uses babel's own catalogue reader and writer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "bot" / "locales"


def merge(locale: str, translations: dict[str, str]) -> int:
    template = read_po((LOCALES / "buurtwacht.pot").open("rb"))
    path = LOCALES / locale / "LC_MESSAGES" / "buurtwacht.po"
    existing = read_po(path.open("rb")) if path.exists() else Catalog(locale=locale)
    out = Catalog(locale=locale, project="buurtwacht", fuzzy=False)
    missing = 0
    for message in template:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        old = existing.get(key)
        text: Any = translations.get(key) or (old.string if old else "")
        if isinstance(message.id, tuple):
            # A plural entry: the JSON gives [singular, plural] for Dutch; English is the msgid.
            forms = tuple(text) if isinstance(text, list | tuple) else ()
            if locale == "en" and not any(forms):
                forms = message.id
            missing += not (forms and all(forms))
            out.add(message.id, forms or ("", ""))
            continue
        if not text and locale == "en":
            text = message.id
        missing += not text
        out.add(message.id, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, out, omit_header=False, no_location=True, sort_output=True, width=100)
    return missing


if __name__ == "__main__":
    locale = sys.argv[1]
    data = json.loads(Path(sys.argv[2]).read_text("utf-8")) if len(sys.argv) > 2 else {}
    left = merge(locale, data)
    print(f"{locale}: {left} untranslated")
    sys.exit(1 if left else 0)
