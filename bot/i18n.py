"""User-facing texts: gettext catalogues (bot/locales/<locale>/LC_MESSAGES/buurtwacht.po) via babel.

Message ids are the English texts. Every keyword value passed to a translator is HTML-escaped
unless it is wrapped in `Html`, because every reply is sent with parse_mode HTML: user text can
never inject markup by accident.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "buurtwacht"


class Html(str):
    """A string that is already safe HTML (our own markup); not escaped again."""


def N_(message: str) -> str:
    """Mark a module-level text for extraction; it is translated where it is shown."""
    return message


class Translator:
    """Translations for one locale. Call it like gettext: `_("Hello {name}", name=...)`."""

    def __init__(
        self, locale: str, translations: Translations, tz: tzinfo, *, escape: bool = True
    ) -> None:
        self.locale = locale
        self._t = translations
        self.tz = tz
        self._escape = escape

    def __call__(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text.format(**self._values(values)) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **self._values(values))

    def _values(self, values: dict[str, object]) -> dict[str, object]:
        return _escaped(values) if self._escape else values

    def for_web(self) -> Translator:
        """The same translations with values left as they are, for the dashboard: its
        templates escape every text once (Jinja2's autoescape), as Telegram's HTML does not."""
        return Translator(self.locale, self._t, self.tz, escape=False)

    def fmt_datetime(self, moment: datetime, fmt: str = "medium") -> str:
        if moment.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return format_datetime(moment, fmt, tzinfo=self.tz, locale=self.locale)

    def fmt_date(self, day: date, fmt: str = "long") -> str:
        return format_date(day, fmt, locale=self.locale)

    def fmt_time(self, moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=self.tz, locale=self.locale)

    def language_name(self, locale: str) -> str:
        """The name of language `locale` in this translator's language ("Engels" in Dutch)."""
        return Locale.parse(locale).get_language_name(self.locale) or locale


def _escaped(values: dict[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, Html | int | float) else html.escape(str(v), quote=False)
        for k, v in values.items()
    }


class MissingCatalogue(RuntimeError):
    """No compiled catalogue (.mo) for a locale: the bot cannot speak it."""


def load_translations(locale: str) -> Translations:
    """The compiled catalogue of `locale`; raises MissingCatalogue when there is none.

    `check-config` calls this too, so a locale that passes the check is one `run` can load.
    """
    translations = Translations.load(str(LOCALE_DIR), [locale], DOMAIN)
    # babel returns NullTranslations silently when no compiled catalogue matches.
    if type(translations) is NullTranslations or not isinstance(translations, Translations):
        raise MissingCatalogue(
            f"no compiled catalogue for locale {locale!r} in {LOCALE_DIR}; "
            "run `make i18n-compile` (or add the language: README, Adding a language)"
        )
    return translations


class Catalogues:
    """Loads every available locale once at start-up and fails loudly when one is missing."""

    def __init__(self, available: Iterable[str], default: str, tz: tzinfo) -> None:
        self.default = default
        self.available = tuple(available)
        self._translators = {
            locale: Translator(locale, load_translations(locale), tz) for locale in self.available
        }

    def get(self, locale: str | None) -> Translator:
        return self._translators.get(locale or "", self._translators[self.default])

    def pick(self, language_code: str | None) -> str:
        """The locale for a Telegram language code ('en-GB' -> 'en'); unknown -> the default."""
        base = (language_code or "").split("-")[0].lower()
        return base if base in self._translators else self.default


def count_chats(_: Translator, n: int) -> Html:
    """ "1 chat" / "5 chats": the recipients an adviser is about to reach."""
    return Html(_.ngettext("{n} chat", "{n} chats", n))
