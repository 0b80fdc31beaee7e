"""Pages from Jinja2 templates with autoescaping, in the visitor's language, and Telegram HTML
shown in a browser exactly as safe as Telegram shows it.

Texts in templates are English message ids in `_()` / `ngettext()`, extracted by babel's Jinja2
extractor (babel.cfg) into the same catalogues as the chat's; the translator leaves the values
alone (`Translator.for_web`) because the template escapes the whole text once.

A message's Telegram HTML is shown only after `messages.telegram_html` found it valid; it is then
rebuilt from its tokens: text escaped, each of Telegram's tags mapped to a fixed browser tag with
no attribute taken over except a link's address, which must be http(s), tg: or mailto:. Anything
Telegram would refuse is shown as plain, escaped text.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from bot.i18n import Translator
from messages.telegram_html import ATTR_RE, TAG_RE, html_problems

TEMPLATES = Path(__file__).with_name("templates")
# Telegram's tag -> what a browser shows for it (spoilers get a class the stylesheet blurs).
BROWSER_TAGS = {
    "b": "strong",
    "strong": "strong",
    "i": "em",
    "em": "em",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "span": 'span class="tg-spoiler"',
    "tg-spoiler": 'span class="tg-spoiler"',
    "tg-emoji": "span",
    "tg-time": "span",
}
LINK_SCHEMES = ("http", "https", "tg", "mailto")


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_globals(_: Translator) -> dict[str, Any]:
    """What every template may call, in the visitor's language."""
    return {
        "_": _,
        "ngettext": _.ngettext,
        "fmt_date": lambda day, fmt="long": _.fmt_date(day, fmt),
        "fmt_datetime": lambda moment, fmt="d MMM y HH:mm": _.fmt_datetime(moment, fmt),
        "language_name": _.language_name,
        "locale": _.locale,
        "telegram_html": telegram_html,
    }


def _link(raw_attrs: str) -> str | None:
    for m in ATTR_RE.finditer(raw_attrs):
        if m.group(1).lower() == "href":
            href = html.unescape(next((g for g in m.group(2, 3, 4) if g is not None), ""))
            return href if urlsplit(href.strip()).scheme.lower() in LINK_SCHEMES else None
    return None


def telegram_html(text: str) -> Markup:
    """`text` (Telegram HTML) as browser HTML with only Telegram's formatting."""
    if html_problems(text):
        return Markup('<span class="tg-invalid">{}</span>').format(text)
    out: list[str] = []
    links: list[bool] = []
    i = 0
    for m in TAG_RE.finditer(text):
        out.append(str(escape(html.unescape(text[i : m.start()]))))
        i = m.end()
        closing, name, raw_attrs, _self = m.groups()
        tag = name.lower()
        if tag == "a":
            if closing:
                out.append("</a>" if links.pop() else "")
                continue
            href = _link(raw_attrs)
            links.append(href is not None)
            if href is not None:
                out.append(f'<a href="{escape(href)}" rel="noopener noreferrer">')
            continue
        browser = BROWSER_TAGS[tag]
        out.append(f"</{browser.split()[0]}>" if closing else f"<{browser}>")
    out.append(str(escape(html.unescape(text[i:]))))
    # Safe by construction: every piece of text and the href were escaped above, and the tags
    # are the fixed strings of BROWSER_TAGS.
    return Markup("".join(out))  # noqa: S704


def iso_minutes(moment: datetime, tz: Any) -> str:
    """A moment as a `datetime-local` input shows it, in the bot's time zone."""
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
