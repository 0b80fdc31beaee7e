"""Small texts shared by the adviser and admin screens."""

from __future__ import annotations

from collections.abc import Iterable

from telegram.constants import MessageLimit

from bot.advisers.stats import Counts, Feedback
from bot.config import Config
from bot.i18n import Translator


def scope_text(_: Translator, config: Config, municipalities: Iterable[str]) -> str:
    """'Enschede, Hengelo', or 'the whole region' when every municipality is in it."""
    slugs = set(municipalities)
    if slugs >= {m.slug for m in config.municipalities}:
        return _("the whole region")
    return ", ".join(m.name for m in config.municipalities if m.slug in slugs)


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
