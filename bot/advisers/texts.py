"""Small texts shared by the adviser and admin screens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram.constants import MessageLimit

from bot.advisers.stats import Counts, Feedback
from bot.config import Config
from bot.i18n import N_, Translator
from messages.telegram_html import html_problems, plain_text, telegram_length
from scheduler.delivery import Content

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


# What readers call a theme (bot.advisers.stats.theme_of): a calendar file, campaigns, alerts.
THEMES = {
    "advice": N_("Prevention advice (PKVW)"),
    "dark_days": N_("Dark days"),
    "local": N_("Local messages"),
    "neighbourhood": N_("Neighbours as eyes and ears"),
    "school_holidays": N_("School holidays"),
    "seasons": N_("Holiday weekends and festivities"),
    "selfcheck": N_("Home self-check"),
    "students": N_("Students"),
    "summer": N_("Summer"),
    "valuables": N_("Stop Heling"),
    "year_end": N_("End of the year"),
    "calendar": N_("Calendar messages"),
    "campaigns": N_("Campaigns"),
    "alerts": N_("Alerts"),
}


def theme_text(_: Translator, theme: str) -> str:
    """A theme's name in the reader's language; a calendar file of a deployment's own by its
    file name."""
    return _(THEMES[theme]) if theme in THEMES else theme


def feedback_text(_: Translator, item: Feedback) -> str:
    """Delivered, votes, the share of 👍 and shares in one line, as /stats shows them."""
    share = item.useful_share
    return _(
        "delivered {delivered} · votes {votes} · 👍 {useful} · shares {shares}",
        delivered=item.delivered,
        votes=item.votes,
        useful="–" if share is None else f"{round(share * 100)}%",
        shares=item.shares,
    )


def versions(content: Content, available: Sequence[str], first: str) -> list[str]:
    """The locales to show an adviser: one per distinct text recipients get, `first` first."""
    shown: dict[str, str] = {}
    for locale in sorted(available, key=lambda locale: locale != first):
        shown.setdefault(content.text(locale), locale)
    return list(shown.values())


@dataclass(frozen=True)
class VersionProblem:
    """Why one language's final text cannot go out: too long by `over`, or bad HTML."""

    locale: str
    length: int
    limit: int
    html: tuple[str, ...] = ()

    @property
    def over(self) -> int:
        return self.length - self.limit


def text_refusals(_: Translator, text: str, limit: int) -> list[str]:
    """Every reason Telegram would refuse a typed text (its HTML), for the person who typed it:
    empty and too long in their language; HTML problems as the validator names them (they quote
    tags, and the chat and the dashboard only produce them for hand-written HTML)."""
    refusals = html_problems(text)
    length = telegram_length(text)
    if length == 0:
        refusals.append(_("the text is empty"))
    elif length > limit:
        refusals.append(
            _(
                "the text is {length} characters, {over} more than the {limit} Telegram allows",
                length=length,
                over=length - limit,
                limit=limit,
            )
        )
    return refusals


def version_problems(content: Content, available: Sequence[str]) -> list[VersionProblem]:
    """Each language's final text checked against Telegram: its length as Telegram counts it
    (a caption when there is an image) and its HTML."""
    limit = MessageLimit.CAPTION_LENGTH if content.image else MessageLimit.MAX_TEXT_LENGTH
    problems = []
    for locale in available:
        text = content.text(locale)
        length, html = telegram_length(text), tuple(html_problems(text))
        if length > limit or html:
            problems.append(VersionProblem(locale, length, limit, html))
    return problems
