"""Questions answered by replying: a ForceReply prompt for one person, and a filter that lets a
handler see only the replies to its own prompts.

In a group with privacy mode the bot sees replies to its messages, so "reply to this message
with ..." is how it asks one member for free text. PTB hands an update to the first matching
handler of a group only; the filter keeps a feature's reply handler from swallowing replies
meant for another (the advice team's prompts in bot/handlers/team.py, for instance). Prompts
live in the chat's persisted chat_data, so an answer after a restart still counts.
"""

from __future__ import annotations

from typing import Any

from telegram import ForceReply, Message, Update, User
from telegram.constants import ParseMode
from telegram.ext import filters

from bot.i18n import Html
from bot.services import BotApplication, BotContext

PROMPTS_KEY = "reply_prompts"
MAX_PROMPTS = 50  # per chat; the oldest questions go first


def mention(user: User) -> Html:
    return Html(user.mention_html())


async def ask(
    context: BotContext, chat_id: int, user: User, text: str, kind: str, **payload: Any
) -> Message:
    """Ask `user` (only them: a selective ForceReply; `text` should mention them) for a reply.

    `kind` names the feature's question and `payload` what the answer is about (plain JSON
    values; its first entry names the thing). An earlier question of the same kind about the
    same thing in this chat is replaced: one open question per thing.
    """
    prompt = await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=ForceReply(selective=True)
    )
    remember(context.application, prompt, user.id, kind, **payload)
    return prompt


def remember(
    app: BotApplication,
    message: Message,
    user_id: int,
    kind: str,
    *,
    keep: bool = False,
    **payload: Any,
) -> None:
    """Make a message the bot sent (in any chat) a question `user_id` may answer by replying.

    With `keep` it stays answerable after an answer (a conversation, not a question); the
    oldest go once a chat holds MAX_PROMPTS.
    """
    data = app.chat_data[message.chat_id]
    prompts: dict[str, Any] = data.setdefault(PROMPTS_KEY, {})
    about = {"kind": kind, **dict(list(payload.items())[:1])}
    if not keep:
        for key in [k for k, p in prompts.items() if {a: p.get(a) for a in about} == about]:
            del prompts[key]
    prompts[str(message.message_id)] = {"kind": kind, **payload, "user": user_id, "keep": keep}
    for key in list(prompts)[:-MAX_PROMPTS]:
        del prompts[key]
    app.mark_data_for_update_persistence(chat_ids=message.chat_id)


def take(update: Update, context: BotContext) -> dict[str, Any] | None:
    """The question this message replies to, if the replier is the person it was asked of;
    it is answered then (removed, unless it was remembered with `keep`)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return None
    prompts = (context.chat_data or {}).get(PROMPTS_KEY, {})
    key = str(message.reply_to_message.message_id)
    prompt = prompts.get(key)
    if not isinstance(prompt, dict) or prompt.get("user") != user.id:
        return None
    if not prompt.get("keep"):
        del prompts[key]
    return prompt


class RepliesTo(filters.MessageFilter):
    """Messages that reply to one of our prompts of `kind` (read from the chat's data)."""

    def __init__(self, app: BotApplication, kind: str) -> None:
        super().__init__(name=f"RepliesTo({kind})")
        self.app = app
        self.kind = kind

    def filter(self, message: Message) -> bool:
        reply = message.reply_to_message
        if reply is None:
            return False
        data = self.app.chat_data.get(message.chat.id) or {}
        prompt = data.get(PROMPTS_KEY, {}).get(str(reply.message_id))
        return isinstance(prompt, dict) and prompt.get("kind") == self.kind
