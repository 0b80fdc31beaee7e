"""Showing an adviser a campaign or an alert exactly as recipients will get it, in every
language it goes out in, before they confirm.

Each language's final text is checked first (an alert wraps the adviser's words in a template
of its own length per language: a text that fits in Dutch may not in English), then each
distinct version is sent with the engine's own sender, so Telegram checks it too. A version that
does not fit is refused with its language and by how much, and nothing is confirmed.

The preview carries the buttons recipients get (👍/👎, share). Its key is no broadcast's key, so
a press on them answers as outdated and counts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bot.advisers.texts import VersionProblem, version_problems, versions
from bot.delivery import TelegramSender
from bot.i18n import Translator
from bot.services import BotContext
from scheduler.delivery import Content, DeliveryError

Source = Literal["campaign", "alert"]


async def send_as_recipients_see_it(
    context: BotContext, chat_id: int, content: Content, locales: Sequence[str], source: Source
) -> tuple[str, str] | None:
    """Send each locale's version with the engine's sender and the buttons of `source`;
    (locale, Telegram's reason) for the first one Telegram refuses."""
    sender = TelegramSender(context.bot)
    shown = await context.services.buttons.add(source, f"{source}:preview", "", content)
    for locale in locales:
        try:
            await sender(chat_id, shown.text(locale), shown.image, keyboard=shown.keyboard(locale))
        except DeliveryError as exc:
            return locale, exc.reason
    return None


def problem_text(_: Translator, problem: VersionProblem) -> str:
    """Why one language's version cannot go out, for the adviser."""
    language = _.language_name(problem.locale)
    if problem.over > 0:
        return _(
            "In {language} the message is {over} characters too long: {length} of at most "
            "{limit}. Please shorten it.",
            language=language,
            over=problem.over,
            length=problem.length,
            limit=problem.limit,
        )
    return _(
        "In {language} Telegram cannot show the message: {problem}. Please change the text.",
        language=language,
        problem=problem.html[0],
    )


async def preview(
    context: BotContext, _: Translator, chat_id: int, content: Content, source: Source
) -> str | None:
    """Check and show every language version of a campaign or an alert (`source`); what to
    tell the adviser when one cannot go out."""
    available = context.services.i18n.available
    for problem in version_problems(content, available):
        return problem_text(_, problem)
    refused = await send_as_recipients_see_it(
        context, chat_id, content, versions(content, available, _.locale), source
    )
    if refused is not None:
        locale, reason = refused
        return _(
            "Telegram refused the message in {language}: {reason}. Please change the text.",
            language=_.language_name(locale),
            reason=reason,
        )
    return None
