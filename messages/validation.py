"""Reading and checking the calendar files: every problem is collected, none is fatal here.

`check_calendar` is what `buurtwacht calendar check` prints; the loader runs the same parse and
refuses the calendar when anything is wrong, so a broken file can never reach chats.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from messages.content_rules import entry_problems, parse_sources
from messages.model import (
    AUDIENCES,
    LOCALES,
    TOPICS,
    Bound,
    Entry,
    MonthDay,
    NthWeekday,
    Once,
    Relative,
    Trigger,
    Weekly,
    Yearly,
    moment_names,
)
from messages.telegram_html import text_problems

# Telegram's caption limit; the longest a text can be and still go out with an image.
MAX_TEXT_LENGTH = 1024
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MONTH_DAY_RE = re.compile(r"^(\d{2})-(\d{2})$")
WEEKDAYS = {
    name: i
    for names in (
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    )
    for i, name in enumerate(names)
}
ENTRY_KEYS = (
    "id",
    "topic",
    "audience",
    "image",
    "trigger",
    "text",
    "sources",
    "local",
    "text_no_free_advice",
)
TRIGGER_KEYS = {
    "yearly": ("kind", "month", "day", "time"),
    "nth_weekday": ("kind", "month", "weekday", "n", "time"),
    "relative": ("kind", "moment", "days_before", "days_after", "time"),
    "weekly": (
        "kind",
        "weekday",
        "time",
        "from",
        "until",
        "every_weeks",
        "first_week",
        "pause_from",
        "pause_until",
    ),
    "once": ("kind", "date", "time"),
}


@dataclass(frozen=True)
class Problem:
    file: Path
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file.name} [{self.entry_id}]" if self.entry_id else self.file.name
        return f"{where}: {self.message}"


def check_calendar(directory: Path, images_dir: Path | None = None) -> list[Problem]:
    """Every problem in the `*.toml` files of `directory` (images default to ../images)."""
    return parse_calendar(directory, images_dir)[1]


def parse_calendar(
    directory: Path, images_dir: Path | None = None
) -> tuple[list[Entry], list[Problem]]:
    """The valid entries and every problem found; an entry with a problem is left out."""
    images = images_dir if images_dir is not None else directory.parent / "images"
    entries: list[Entry] = []
    problems: list[Problem] = []
    files = sorted(directory.glob("*.toml"))
    if not files:
        problems.append(Problem(directory, None, "no *.toml calendar files found"))
    first_seen: dict[str, Path] = {}
    for path in files:
        for entry_id, raw in _read_file(path, problems):
            entry = _parse_entry(path, entry_id, raw, images, problems)
            if entry_id in first_seen:
                problems.append(
                    Problem(path, entry_id, f"duplicate id (also in {first_seen[entry_id].name})")
                )
                continue
            first_seen[entry_id] = path
            if entry is not None:
                entries.append(entry)
    return entries, problems


def _read_file(path: Path, problems: list[Problem]) -> list[tuple[str, dict[str, Any]]]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, None, f"not valid TOML: {exc}"))
        return []
    for key in doc:
        if key != "entry":
            problems.append(Problem(path, None, f"unknown top-level key {key!r} (use [[entry]])"))
    raw_entries = doc.get("entry", [])
    if not isinstance(raw_entries, list):
        problems.append(Problem(path, None, "'entry' must be written as [[entry]] tables"))
        return []
    result = []
    for i, raw in enumerate(raw_entries):
        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not ID_RE.match(entry_id):
            problems.append(
                Problem(path, f"#{i + 1}", "id must be lowercase letters, digits and '-'")
            )
            continue
        result.append((entry_id, raw))
    return result


def _parse_entry(
    path: Path, entry_id: str, raw: dict[str, Any], images: Path, problems: list[Problem]
) -> Entry | None:
    errors: list[str] = []
    _unknown_keys(raw, ENTRY_KEYS, "", errors)
    topic = raw.get("topic")
    if topic not in TOPICS:
        errors.append(f"topic {topic!r} is not one of {', '.join(TOPICS)}")
    audience = raw.get("audience")
    if audience not in AUDIENCES:
        errors.append(f"audience {audience!r} is not one of {', '.join(AUDIENCES)}")
    texts = _parse_texts(raw.get("text"), errors)
    sources, local, variant = _parse_extras(raw, texts, errors)
    image = None
    if "image" in raw:
        if not isinstance(raw["image"], str) or not raw["image"]:
            errors.append("image must be a file name in the images folder")
        else:
            image = images / raw["image"]
            if not image.is_file():
                errors.append(f"image file {raw['image']!r} not found in {images}")
    raw_trigger = raw.get("trigger")
    trigger = None
    if isinstance(raw_trigger, dict):
        trigger = _parse_trigger(raw_trigger, errors)
    else:
        errors.append("trigger table is missing")
    problems.extend(Problem(path, entry_id, e) for e in errors)
    if errors or trigger is None:
        return None
    return Entry(
        entry_id, str(topic), str(audience), trigger, texts, image, path, sources, local, variant
    )


def _unknown_keys(
    raw: dict[str, Any], known: tuple[str, ...], where: str, errors: list[str]
) -> None:
    for key in raw:
        if key not in known:
            errors.append(f"unknown key {where}{key!r} (known keys: {', '.join(known)})")


def _parse_texts(raw: Any, errors: list[str]) -> dict[str, str]:
    if not isinstance(raw, dict):
        errors.append(f"text table is missing (one text per locale: {', '.join(LOCALES)})")
        return {}
    texts: dict[str, str] = {}
    for locale in LOCALES:
        if locale not in raw:
            errors.append(f"text.{locale} is missing")
    for locale, text in raw.items():
        if locale not in LOCALES:
            errors.append(f"text.{locale}: locale is not one of {', '.join(LOCALES)}")
            continue
        if not isinstance(text, str) or not text.strip():
            errors.append(f"text.{locale} must be a non-empty string")
            continue
        errors.extend(f"text.{locale}: {e}" for e in text_problems(text, MAX_TEXT_LENGTH))
        texts[locale] = text.strip()
    return texts


def _parse_trigger(raw: dict[str, Any], errors: list[str]) -> Trigger | None:
    kind = raw.get("kind")
    if kind not in TRIGGER_KEYS:
        errors.append(f"trigger.kind {kind!r} is not one of {', '.join(TRIGGER_KEYS)}")
        return None
    before = len(errors)
    _unknown_keys(raw, TRIGGER_KEYS[kind], "trigger.", errors)
    at = _time(raw, errors)
    trigger: Trigger | None = None
    if kind == "yearly":
        month, day = _int(raw, "month", 1, 12, errors), _int(raw, "day", 1, 31, errors)
        if month and day and _month_day(month, day, "trigger", errors) and at:
            trigger = Yearly(month, day, at)
    elif kind == "nth_weekday":
        month, weekday = _int(raw, "month", 1, 12, errors), _weekday(raw, "weekday", errors)
        n = _int(raw, "n", -1, 5, errors)
        if n == 0:
            errors.append("trigger.n must be 1..5 or -1 (last)")
        elif month and weekday is not None and n is not None and at:
            trigger = NthWeekday(month, weekday, n, at)
    elif kind == "relative":
        trigger = _relative(raw, at, errors)
    elif kind == "weekly":
        trigger = _weekly(raw, at, errors)
    else:
        trigger = _once(raw, at, errors)
    return trigger if len(errors) == before else None


def _relative(raw: dict[str, Any], at: time | None, errors: list[str]) -> Relative | None:
    moment = _moment(raw.get("moment"), "trigger.moment", errors)
    if "days_before" in raw and "days_after" in raw:
        errors.append("trigger: use days_before or days_after, not both")
        return None
    offset = 0
    if "days_before" in raw:
        offset = -(_int(raw, "days_before", 0, 365, errors) or 0)
    elif "days_after" in raw:
        offset = _int(raw, "days_after", 0, 365, errors) or 0
    return Relative(moment, offset, at) if moment and at else None


def _weekly(raw: dict[str, Any], at: time | None, errors: list[str]) -> Weekly | None:
    weekday = _weekday(raw, "weekday", errors)
    start, until = _bound(raw, "from", errors), _bound(raw, "until", errors)
    every = _int(raw, "every_weeks", 1, 52, errors) if "every_weeks" in raw else 1
    first = _int(raw, "first_week", 1, 52, errors) if "first_week" in raw else 1
    if every and first and first > every:
        errors.append(f"trigger.first_week must be at most every_weeks ({every})")
        return None
    if ("pause_from" in raw) != ("pause_until" in raw):
        errors.append("trigger: pause_from and pause_until go together")
        return None
    pause_from = _bound(raw, "pause_from", errors) if "pause_from" in raw else None
    pause_until = _bound(raw, "pause_until", errors) if "pause_until" in raw else None
    if weekday is None or start is None or until is None or not (every and first and at):
        return None
    return Weekly(weekday, at, start, until, every, first, pause_from, pause_until)


def _once(raw: dict[str, Any], at: time | None, errors: list[str]) -> Once | None:
    value = raw.get("date")
    on: date | None = None
    if isinstance(value, date):
        on = value
    elif isinstance(value, str):
        try:
            on = date.fromisoformat(value)
        except ValueError:
            errors.append(f"trigger.date {value!r} is not a date (YYYY-MM-DD)")
    else:
        errors.append("trigger.date is missing (YYYY-MM-DD)")
    return Once(on, at) if on and at else None


def _time(raw: dict[str, Any], errors: list[str]) -> time | None:
    value = raw.get("time")
    m = TIME_RE.match(value) if isinstance(value, str) else None
    if not m:
        errors.append(f"trigger.time {value!r} is not a time HH:MM (00:00-23:59)")
        return None
    return time(int(m.group(1)), int(m.group(2)))


def _int(raw: dict[str, Any], key: str, low: int, high: int, errors: list[str]) -> int | None:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append(f"trigger.{key} {value!r} is not a whole number in {low}..{high}")
        return None
    return value


def _weekday(raw: dict[str, Any], key: str, errors: list[str]) -> int | None:
    value = raw.get(key)
    if not isinstance(value, str) or value.lower() not in WEEKDAYS:
        errors.append(f"trigger.{key} {value!r} is not a weekday name (monday..sunday)")
        return None
    return WEEKDAYS[value.lower()]


def _month_day(month: int, day: int, where: str, errors: list[str]) -> bool:
    try:
        date(2000, month, day)  # a leap year, so 29 February is accepted
    except ValueError:
        errors.append(f"{where}: {month:02d}-{day:02d} is not a date")
        return False
    return True


def _moment(value: Any, where: str, errors: list[str]) -> str | None:
    if not isinstance(value, str) or value not in moment_names():
        errors.append(f"{where} {value!r} is not a known moment (see calendar/README.md)")
        return None
    return value


def _bound(raw: dict[str, Any], key: str, errors: list[str]) -> Bound | None:
    value = raw.get(key)
    m = MONTH_DAY_RE.match(value) if isinstance(value, str) else None
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        return MonthDay(month, day) if _month_day(month, day, f"trigger.{key}", errors) else None
    return _moment(value, f"trigger.{key}", errors)


def _parse_extras(
    raw: dict[str, Any], texts: dict[str, str], errors: list[str]
) -> tuple[tuple[str, ...], bool, dict[str, str] | None]:
    """`sources`, `local` and `text_no_free_advice`, and the content rules over the texts."""
    sources = parse_sources(raw.get("sources"), errors)
    local = raw.get("local", False)
    if not isinstance(local, bool):
        errors.append("local must be true or false")
        local = False
    variant = None
    if "text_no_free_advice" in raw:
        # The variant's texts are checked like the main ones; their problems are renamed.
        variant_errors: list[str] = []
        variant = _parse_texts(raw["text_no_free_advice"], variant_errors)
        errors.extend(e.replace("text", "text_no_free_advice", 1) for e in variant_errors)
    errors.extend(entry_problems(texts, variant, local))
    return sources, local, variant
