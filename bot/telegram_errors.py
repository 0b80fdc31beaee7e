"""Telegram's answers that are not failures of ours, recognised in one place.

- "Message is not modified": an edit to what the message already shows (a double tap, a second
  press on a button whose edit already happened). The message shows what we wanted: success.
- Forbidden: the chat blocked us, removed us, or never opened a private chat. For the chat an
  update came from, bot.handlers.common marks it inactive; for another chat (a notice to an
  admin, an approver, a resident) `tell` logs it and the update's own work goes on.

`edit_elsewhere` is the same for an edit of a message in another chat (a walk's invitation or
board, a request's team message): what shows is refreshed when it can be, and a message that is
gone or cannot be edited is logged, not an error of the update that caused the refresh.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, TelegramError

log = logging.getLogger(__name__)


def is_not_modified(error: BaseException | None) -> bool:
    return isinstance(error, BadRequest) and "message is not modified" in error.message.lower()


def is_unreachable(error: BaseException | None) -> bool:
    """The chat cannot receive messages from us (blocked, removed, deleted, never started)."""
    return isinstance(error, Forbidden) or (
        isinstance(error, BadRequest) and "chat not found" in error.message.lower()
    )


async def tell(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> Message | None:
    """Send to a chat other than the one being answered; None when it cannot be reached."""
    try:
        return await bot.send_message(chat_id, text, **kwargs)
    except (Forbidden, BadRequest) as exc:
        if not is_unreachable(exc):
            raise
        log.info("could not tell chat_id=%s: %s", chat_id, type(exc).__name__)
        return None


async def edit_elsewhere(
    bot: Bot, chat_id: int, message_id: int, text: str, what: str, **kwargs: Any
) -> None:
    """Edit a message in a chat other than the one being answered; `what` names it in the log
    ("board of inspection id=3"). Unchanged is success; any other refusal is logged."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, **kwargs)
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("could not edit %s: %s", what, exc)
    except TelegramError as exc:
        log.warning("could not edit %s: %s", what, type(exc).__name__)
