"""Telegram's answers that are not failures of ours, recognised in one place.

- "Message is not modified": an edit to what the message already shows (a double tap, a second
  press on a button whose edit already happened). The message shows what we wanted: success.
- Forbidden: the chat blocked us, removed us, or never opened a private chat. For the chat an
  update came from, bot.handlers.common marks it inactive; for another chat (a notice to an
  admin, an approver, a resident) `tell` logs it and the update's own work goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden

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
