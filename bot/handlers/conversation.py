"""Small helpers shared by the feature modules' conversations (wizards with buttons and a draft).

Order matters to the tests and to the user: a press that leads on has its keyboard removed
first, then is answered, then the next step is sent as a new message.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.advisers.texts import text_refusals
from bot.commands import CANCEL
from bot.handlers import prompts
from bot.services import BotContext

END = ConversationHandler.END
Handlers = Sequence[BaseHandler[Any, Any, Any]]


def button(prefix: str, text: str, action: str) -> InlineKeyboardButton:
    """An inline button whose callback data is `<prefix>:<action>`."""
    return InlineKeyboardButton(text, callback_data=f"{prefix}:{action}")


def press(
    prefix: str, callback: Any, pattern: str, *, bound: bool = True
) -> CallbackQueryHandler[Any, Any]:
    """A handler for presses whose whole callback data matches `<prefix>:<pattern>`.

    By default a press is honoured only on the prompt of flow `prefix` that the bot sent to this
    user in this chat (bot/handlers/prompts.py); any other press is answered "outdated" and the
    state stays. `bound=False` is for buttons whose authority is a row, not a prompt (e.g. a
    campaign's approval request sent to another adviser): the handler must then check the
    presser's role and the row's state itself.
    """
    if not bound:
        return CallbackQueryHandler(callback, pattern=rf"^{prefix}:{pattern}$")

    async def bound_callback(update: Update, context: BotContext) -> object:
        if not await prompts.claim(update, context, prefix):
            return None
        return await callback(update, context)

    return CallbackQueryHandler(bound_callback, pattern=rf"^{prefix}:{pattern}$")


def draft(context: BotContext, key: str) -> dict[str, Any]:
    """The draft (plain JSON) under `key` in user_data; an empty one when there is none yet."""
    assert context.user_data is not None
    value = context.user_data.setdefault(key, {})
    assert isinstance(value, dict)
    return value


async def spend(update: Update) -> None:
    """A press that leads to the next step: its keyboard is removed, then the press answered."""
    query = update.callback_query
    if query is not None:
        await query.edit_message_reply_markup(None)
        await query.answer()


async def send(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """`text` (HTML) as a new message in the current chat, with an optional keyboard; the
    keyboard's flows are bound to this message for the current user."""
    assert update.effective_chat is not None
    message = await context.bot.send_message(
        update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    prompts.bind(context, message)
    return message


async def refuse_text(update: Update, context: BotContext, html: str, limit: int) -> bool:
    """Check a typed text (its HTML) with the one validator before it is stored: True, after
    telling the writer why, when Telegram would not accept it (HTML, empty, over `limit`)."""
    _ = await context.translator(update)
    problems = text_refusals(_, html, limit)
    if problems:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            _(
                "Telegram would not accept this text: {problems}. "
                "Please change it and send it again, or /cancel.",
                problems="; ".join(problems),
            )
        )
    return bool(problems)


async def cancel(update: Update, context: BotContext, *keys: str) -> int:
    """/cancel or the Cancel button of a wizard: its drafts (`keys` in user_data) are dropped."""
    if context.user_data is not None:
        for key in keys:
            context.user_data.pop(key, None)
    _ = await context.translator(update)
    await spend(update)
    await send(update, context, _("Cancelled. Nothing was sent."))
    return END


async def use_buttons(update: Update, context: BotContext) -> None:
    """Text while the step expects a button press: stay in the step."""
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("Please use the buttons above, or /cancel."))


def buttons_only() -> MessageHandler[BotContext, object]:
    """For a step that expects a press: typed text gets `use_buttons`."""
    return MessageHandler(filters.TEXT & ~filters.COMMAND, use_buttons)


def cancel_fallbacks(prefix: str, callback: Any) -> list[BaseHandler[Any, Any, Any]]:
    """/cancel (/annuleren) and the Cancel button (`<prefix>:cancel`), both to `callback`."""
    return [CommandHandler(list(CANCEL), callback), press(prefix, callback, "cancel")]


class OneAtATime(ConversationHandler[BotContext]):
    """A conversation that ends the user's other conversations in this chat when it starts.

    Handlers are tried in registration order, so without this a conversation left half-way
    (a campaign at its moment step, kept across restarts) kept taking the texts meant for one
    started later: an urgent alert's "what happened?" got "I don't understand that moment".
    The newest flow is the one the user is looking at, so it wins. PTB has no public way to end
    a conversation from outside; `_update_state(END, key)` is how the handler ends its own, and
    the deletion reaches the persistence like any other state change.
    """

    async def handle_update(
        self,
        update: Update,
        application: Any,
        check_result: Any,
        context: BotContext,
    ) -> object:
        _state, key, handler, _check = check_result
        if handler in self.entry_points:
            for group in application.handlers.values():
                for other in group:
                    if isinstance(other, OneAtATime) and other is not self:
                        other._update_state(self.END, key)
        return await super().handle_update(update, application, check_result, context)


def persistent_conversation(
    name: str,
    entry_points: Handlers,
    states: dict[object, Handlers],
    fallbacks: Handlers,
) -> ConversationHandler[BotContext]:
    """A ConversationHandler that survives restarts (states are strings: PTB persists them as
    JSON), may be started again from any step, and ends the user's other conversation there
    when it starts (OneAtATime)."""
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user on purpose: a conversation is in one chat.
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return OneAtATime(
            entry_points=list(entry_points),
            states={state: list(handlers) for state, handlers in states.items()},
            fallbacks=list(fallbacks),
            name=name,
            persistent=True,
            allow_reentry=True,
        )
