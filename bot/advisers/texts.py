"""Small texts shared by the adviser and admin screens."""

from __future__ import annotations

from collections.abc import Iterable

from telegram.constants import MessageLimit

from bot.advisers.stats import Counts
from bot.config import Config
from bot.i18n import Translator
from messages.telegram_html import plain_text

TITLE_LENGTH = 48


def scope_text(_: Translator, config: Config, municipalities: Iterable[str]) -> str:
    """'Enschede, Hengelo', or 'the whole region' when every municipality is in it."""
    slugs = set(municipalities)
    if slugs >= {m.slug for m in config.municipalities}:
        return _("the whole region")
    return ", ".join(m.name for m in config.municipalities if m.slug in slugs)


def title_of(html: str, limit: int = TITLE_LENGTH) -> str:
    """A message's title as a reader sees it: its first line, shortened to whole words."""
    line = next((ln.strip() for ln in plain_text(html).splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] or line[: limit - 1]
    return cut.rstrip(" ,.;:-") + "…"


def duration_text(_: Translator, days: float | None) -> str:
    """A median time as people say it: "less than an hour", "5 hours", "3 days"."""
    if days is None:
        return "–"
    hours = days * 24
    if hours < 1:
        return _("less than an hour")
    if hours < 48:
        return _.ngettext("{n} hour", "{n} hours", round(hours))
    return _.ngettext("{n} day", "{n} days", round(days))


def find_municipality(config: Config, wanted: str) -> str | None:
    """A slug from what an admin typed: a slug or a name, in any case."""
    value = wanted.strip().lower()
    return next((m.slug for m in config.municipalities if value in (m.slug, m.name.lower())), None)


def chunks(lines: list[str], limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Lines joined into as few messages as fit Telegram's length limit."""
    messages: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            messages.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return [*messages, current] if current else messages


def counts_text(_: Translator, counts: Counts) -> str:
    """Delivery outcomes in one line, as /campaigns and /stats show them."""
    return _(
        "sent {sent} · failed {failed} (blocked {blocked}) · held for quiet hours {held}",
        sent=counts.sent,
        failed=counts.failed,
        blocked=counts.blocked,
        held=counts.held,
    )
