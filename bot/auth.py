"""Role checks, always done server-side at the moment of the action (never trusted from a button).

Group administrators are asked of Telegram live (getChatMember) on every privileged action:
caching would let a demoted admin keep power.
"""

from __future__ import annotations

from telegram import Chat, ChatMember, Message, Update
from telegram.error import TelegramError

from bot.services import BotContext

# Telegram sends messages of anonymous group admins as this bot user with sender_chat = the group.
ANONYMOUS_ADMIN_ID = 1087968824


def is_bot_admin(context: BotContext, user_id: int | None) -> bool:
    return user_id is not None and user_id in context.services.config.admins.user_ids


async def is_group_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def is_chat_member(context: BotContext, chat_id: int, user_id: int) -> bool:
    """A present member (member, administrator or owner) of the chat, asked of Telegram now."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def may_manage_chat(update: Update, context: BotContext) -> bool:
    """In a private chat the user manages their own subscription; in a group only its admins."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat.type == Chat.PRIVATE:
        return True
    message = update.effective_message
    if isinstance(message, Message) and message.sender_chat and message.sender_chat.id == chat.id:
        return True  # an anonymous administrator of this very group
    return await is_group_admin(context, chat.id, user.id)
