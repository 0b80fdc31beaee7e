"""The first look at every button press (handler group -1, before any feature's handler).

Callback data is whatever a client sends. PTB 22.8 lets empty data match every
CallbackQueryHandler pattern, and truncated or forged data would reach a handler that expects
its own shape, or no handler at all (the client spins until it times out). So every press
passes here first:

1. Its prefix must be one the bot puts on buttons (the table in bot/handlers/__init__.py).
2. A staff prefix needs the role before anything else: the refusal is told and audit-logged
   by `bot.auth.guard`, whatever the rest of the data says.
3. The whole data must match a pattern some registered CallbackQueryHandler listens for.

Anything else is answered "outdated" here, once, and no other handler sees it. What passes is
still checked by its handler: who pressed, on which message, in which chat, in which state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
)

from bot.auth import guard
from bot.handlers.prompts import refuse_outdated
from bot.services import BotApplication, BotContext

Who = Literal["anyone", "adviser", "admin"]
GROUP = -1
_AUDIT_TARGET = re.compile(r"[^A-Za-z0-9:_-]")


def _callback_handlers(
    handlers: Iterable[BaseHandler[Any, Any, Any]],
) -> Iterable[CallbackQueryHandler[Any, Any]]:
    for handler in handlers:
        if isinstance(handler, CallbackQueryHandler):
            yield handler
        elif isinstance(handler, ConversationHandler):
            nested = [*handler.entry_points, *handler.fallbacks]
            for state_handlers in handler.states.values():
                nested += state_handlers
            yield from _callback_handlers(nested)


def patterns_of(app: BotApplication) -> list[re.Pattern[str]]:
    """Every callback pattern the registered handlers listen for (conversations included).
    The pattern-less fallback (bot.handlers.common) is not one: it takes what the others leave.
    """
    found = []
    for handlers in app.handlers.values():
        for handler in _callback_handlers(handlers):
            if not isinstance(handler.pattern, re.Pattern | str):
                continue
            found.append(re.compile(handler.pattern))
    return found


def register(app: BotApplication, flows: Mapping[str, Who]) -> None:
    """Call after every feature's handlers: their patterns are read now."""
    patterns = patterns_of(app)

    async def check_press(update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        data = query.data or ""
        prefix, colon, _rest = data.partition(":")
        who = flows.get(prefix) if colon else None
        if who is None:
            await refuse_outdated(update, context)
            raise ApplicationHandlerStop
        if who != "anyone":
            target = _AUDIT_TARGET.sub("", data)[:64]
            admin = who == "admin"
            if not await guard(update, context, f"press.{prefix}", admin=admin, target=target):
                raise ApplicationHandlerStop
        if not any(pattern.match(data) for pattern in patterns):
            await refuse_outdated(update, context)
            raise ApplicationHandlerStop

    app.add_handler(CallbackQueryHandler(check_press), group=GROUP)
