"""Rules for what an entry says, beyond valid Telegram HTML: sources, placeholders, parts to
fill in locally, and promises of free advice.

Kept apart from `validation.py` (which reads the files and checks the HTML) so each rule is a
small pure function over one entry's fields; `validation.py` calls `entry_problems`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from messages.model import Entry
from messages.placeholders import placeholder_problems, slots

_URL = re.compile(r"\bhttps?://[^\s)\]]*", re.I)
# A text that promises free advice must have a variant for municipalities without it.
FREE_WORDS = {"nl": re.compile(r"\bgratis\b", re.I), "en": re.compile(r"\bfree\b", re.I)}


def parse_sources(raw: Any, errors: list[str]) -> tuple[str, ...]:
    """`sources`: a non-empty list of distinct references (a web address, or words naming the
    source, or both, as in "https://... (what it says)"); every web address must be https.

    Optional for the parser, so that test fixtures stay minimal; `without_sources` is the rule
    that every entry of a real calendar names its sources (`buurtwacht calendar check`).
    """
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        errors.append("sources must be a non-empty list (where each fact in the text comes from)")
        return ()
    result: list[str] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip():
            errors.append(f"sources[{i}] must be a non-empty string")
            continue
        for address in _URL.findall(item):
            url = urlparse(address)
            if url.scheme != "https" or not url.netloc:
                errors.append(f"sources[{i}]: {address!r} is not an https:// address")
        if item in result:
            errors.append(f"sources[{i}] {item!r} is listed twice")
        result.append(item)
    return tuple(result)


def without_sources(entries: Iterable[Entry]) -> list[Entry]:
    """The entries that do not say where their facts come from."""
    return [entry for entry in entries if not entry.sources]


def entry_problems(texts: dict[str, str], variant: dict[str, str] | None, local: bool) -> list[str]:
    """Placeholders, fill-in parts and free-advice promises of one entry's texts."""
    problems: list[str] = []
    all_texts = [("text", texts), ("text_no_free_advice", variant or {})]
    for where, group in all_texts:
        for locale, text in group.items():
            problems.extend(f"{where}.{locale}: {p}" for p in placeholder_problems(text))
            found = slots(text)
            if found and not local:
                problems.append(
                    f"{where}.{locale}: {found[0]} is a part to fill in, allowed only in an "
                    "entry with local = true"
                )
            if local and where == "text" and not found:
                problems.append(
                    f"{where}.{locale}: a local entry's example text marks what to fill in, "
                    "e.g. [date]"
                )
    promises = [loc for loc, text in texts.items() if _promises_free(loc, text)]
    if promises and variant is None:
        problems.append(
            f"text.{promises[0]} promises free advice: add [entry.text_no_free_advice] for "
            "municipalities with free_advice = false"
        )
    for locale, text in (variant or {}).items():
        if _promises_free(locale, text):
            problems.append(f"text_no_free_advice.{locale} must not promise free advice")
    return problems


def _promises_free(locale: str, text: str) -> bool:
    pattern = FREE_WORDS.get(locale)
    return pattern is not None and pattern.search(text) is not None
