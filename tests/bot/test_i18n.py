"""The catalogues: every text in the code is translated in nl and en, placeholders agree, and
the compiled catalogues really load (babel falls back to NullTranslations silently)."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR, Catalogues, Html, count_chats

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TZ = ZoneInfo("Europe/Amsterdam")


def code_messages() -> set[str]:
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found: set[str] = set()
    for package in ("bot", "scheduler", "messages"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package,
            method_map=[("**.py", "python")],
            keywords=keywords,  # type: ignore[arg-type]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_message_is_translated(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "buurtwacht.po").open("rb") as fh:
        catalog = read_po(fh)
    # A plural entry is keyed by its singular; every form must be filled in.
    translated: dict[str, tuple[str, ...]] = {}
    for m in catalog:
        if m.id:
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            translated[ids[0]] = tuple(forms) if all(forms) else ()
            for form in forms:
                assert sorted(PLACEHOLDER.findall(ids[-1])) == sorted(PLACEHOLDER.findall(form)), (
                    ids
                )
    missing = sorted(m for m in code_messages() if not translated.get(m))
    assert not missing, f"untranslated in {locale}: {missing}"


def test_compiled_catalogues_translate() -> None:
    i18n = Catalogues(["nl", "en"], "nl", TZ)
    assert i18n.get("nl")("Confirm") == "Bevestigen"
    assert i18n.get("en")("Confirm") == "Confirm"
    assert i18n.get("de")("Confirm") == "Bevestigen"  # unknown locale -> default
    assert i18n.pick("en-GB") == "en" and i18n.pick("fr") == "nl" and i18n.pick(None) == "nl"


def test_plural_forms() -> None:
    i18n = Catalogues(["nl", "en"], "nl", TZ)
    assert count_chats(i18n.get("en"), 1) == "1 chat"
    assert count_chats(i18n.get("en"), 3) == "3 chats"
    assert count_chats(i18n.get("nl"), 0) == "0 chats"


def test_missing_catalogue_fails_loudly() -> None:
    with pytest.raises(RuntimeError, match="no compiled catalogue for locale 'fy'"):
        Catalogues(["nl", "fy"], "nl", TZ)


def test_values_are_html_escaped_unless_marked_safe() -> None:
    _ = Catalogues(["nl", "en"], "nl", TZ).get("en")
    assert _("Which neighbourhood of {name}?", name="<b>x</b>&") == (
        "Which neighbourhood of &lt;b&gt;x&lt;/b&gt;&amp;?"
    )
    assert _("Which neighbourhood of {name}?", name=Html("<i>x</i>")) == (
        "Which neighbourhood of <i>x</i>?"
    )


def test_dates_in_locale_and_amsterdam_time() -> None:
    from datetime import UTC, datetime

    i18n = Catalogues(["nl", "en"], "nl", TZ)
    moment = datetime(2027, 7, 1, 17, 0, tzinfo=UTC)  # 19:00 CEST
    assert i18n.get("nl").fmt_datetime(moment, "d MMMM y HH:mm") == "1 juli 2027 19:00"
    assert i18n.get("en").fmt_datetime(moment, "d MMMM y HH:mm") == "1 July 2027 19:00"
    with pytest.raises(ValueError):
        i18n.get("nl").fmt_datetime(datetime(2027, 7, 1, 17, 0))
