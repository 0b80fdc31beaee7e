"""Bound prompts: a button is honoured only on the message the bot sent for that flow, to the
person it was sent to, in that chat.

A press is a claim, not a fact: any client can send any callback data for any message it can
see, including bot messages in a group that were meant for someone else. So when the bot sends
(or edits) a message with a flow's buttons, it records that message in the user's own data
(PTB's persisted `user_data`, keyed by Telegram user id); a press counts only when it arrives
from that user, on that message, in that chat. Everything else is answered "outdated" and
changes nothing.

The flow is the callback prefix (`adv`, `forget`, ...), so a keyboard binds itself: `bind`
reads the prefixes from the message's buttons. Where one prefix serves two flows (the campaign
wizard and the campaign list share `cmp`), the caller names the flow. Whether the flow's
*state* allows the press is still the handler's business (a ConversationHandler state, a row's
status).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update

from bot.services import BotApplication, BotContext

log = logging.getLogger(__name__)

PROMPTS_KEY = "prompts"
# A list view may show a few messages of one flow at once (e.g. one per campaign).
MAX_BOUND_MESSAGES = 20


def flows_of(markup: InlineKeyboardMarkup | None) -> set[str]:
    """The callback prefixes (`<flow>:...`) of a keyboard's buttons."""
    if markup is None:
        return set()
    return {
        button.callback_data.split(":", 1)[0]
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str) and button.callback_data
    }


def bind(
    context: BotContext,
    message: Message | bool,
    *,
    flow: str | None = None,
    keep_previous: bool = False,
    user_id: int | None = None,
    for_chat: bool = False,
) -> None:
    """Make `message` the prompt of every flow its buttons belong to (or of `flow`).

    Takes what PTB's send and edit methods return (an edit may return True instead of the
    message; there is nothing to bind then). `keep_previous` adds the message to the flow's
    bound messages in the same chat instead of replacing them (a list with one message per
    item); otherwise older prompts of the flow go stale. `user_id` binds the prompt for someone
    else than the user of this update (an approval request sent to another adviser).
    `for_chat` binds it to the chat instead of a person (a question to an anonymous group
    admin, whose own account is unknown): anyone there may press, so the caller's handler
    must check the role of whoever does.
    """
    if not isinstance(message, Message):
        return
    if for_chat:
        assert context.chat_data is not None
        _bind(context.chat_data, message, flow, keep_previous)
    elif user_id is None:
        assert context.user_data is not None
        _bind(context.user_data, message, flow, keep_previous)
    else:
        bind_for(context.application, user_id, message, flow=flow, keep_previous=keep_previous)


def bind_for(
    app: BotApplication,
    user_id: int,
    message: Message,
    *,
    flow: str | None = None,
    keep_previous: bool = False,
) -> None:
    """`bind` for a message sent to `user_id` outside their own update (a notice about their
    request, sent from a team member's press or a job)."""
    _bind(app.user_data[user_id], message, flow, keep_previous)
    app.mark_data_for_update_persistence(user_ids=user_id)


def _bind(data: dict[Any, Any], message: Message, flow: str | None, keep_previous: bool) -> None:
    prompts: dict[str, Any] = data.setdefault(PROMPTS_KEY, {})
    for name in [flow] if flow else flows_of(message.reply_markup):
        old = prompts.get(name)
        messages: list[int] = []
        if keep_previous and isinstance(old, dict) and old.get("chat") == message.chat_id:
            messages = [m for m in old.get("messages", []) if m != message.message_id]
        messages = [*messages, message.message_id][-MAX_BOUND_MESSAGES:]
        prompts[name] = {"chat": message.chat_id, "messages": messages}


def release(context: BotContext, flow: str) -> None:
    """The flow is over: none of its buttons counts any more."""
    for data in (context.user_data, context.chat_data):
        if data is not None:
            data.get(PROMPTS_KEY, {}).pop(flow, None)


def is_bound(update: Update, context: BotContext, flow: str) -> bool:
    """True when this press comes from the user the flow's prompt was sent to, on that message,
    in that chat (for a prompt bound `for_chat`: from anyone in that chat)."""
    query = update.callback_query
    if query is None or query.message is None:
        return False
    message = query.message
    return any(
        isinstance(binding := data.get(PROMPTS_KEY, {}).get(flow), dict)
        and binding.get("chat") == message.chat.id
        and message.message_id in binding.get("messages", [])
        for data in (context.user_data, context.chat_data)
        if data is not None
    )


async def refuse_outdated(update: Update, context: BotContext) -> None:
    """Answer a press that does not count, and change nothing else (ids only in the log)."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    log.info(
        "outdated or foreign press user_id=%s chat_id=%s message_id=%s",
        query.from_user.id,
        chat.id if chat else None,
        query.message.message_id if query.message else None,
    )
    _ = await context.translator(update)
    await query.answer(
        _("This button is outdated. Use /settings or /help to continue."), show_alert=True
    )


async def claim(update: Update, context: BotContext, flow: str) -> bool:
    """Check a press against the flow's bound prompt; a press that does not count is answered
    "outdated" and the caller must stop."""
    if is_bound(update, context, flow):
        return True
    await refuse_outdated(update, context)
    return False
