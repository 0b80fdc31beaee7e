"""The bot's own membership: added to or removed from a group, blocked or unblocked in a private
chat, and a group upgraded to a supergroup (the stored chat id moves with it)."""

from __future__ import annotations

import logging

from telegram import Chat as TgChat
from telegram import ChatMember, Update
from telegram.constants import ParseMode
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.services import BotApplication, BotContext

log = logging.getLogger(__name__)

PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED)


async def my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    chat_id = change.chat.id
    was = change.old_chat_member.status in PRESENT
    now = change.new_chat_member.status in PRESENT
    chats = context.services.chats
    if change.chat.type == TgChat.PRIVATE:
        # A user blocked (kicked) or unblocked the bot; we only know the chat once /start ran.
        if await chats.get(chat_id) is not None:
            await chats.set_active(chat_id, now)
        return
    if was and not now:
        if await chats.get(chat_id) is not None:
            await chats.set_active(chat_id, False)
        log.info("removed from group chat_id=%s", chat_id)
        return
    if now and not was:
        existing = await chats.get(chat_id)
        locale = context.services.i18n.pick(change.from_user.language_code)
        chat = await chats.ensure(chat_id, "group", locale)
        _ = context.services.i18n.get(chat.locale)
        if existing is not None and existing.subscribed:
            text = _(
                "Welcome back! This group's subscription is active again with its old settings. "
                "Administrators can change it with /settings."
            )
        else:
            text = _(
                "Hello! I am <b>Buurtwacht</b>. I share short tips against burglary at the right "
                "moments of the year, and alerts from your municipality.\n\n"
                "A group administrator can subscribe this group with /subscribe."
            )
        await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
        log.info("added to group chat_id=%s", chat_id)


async def migrated(update: Update, context: BotContext) -> None:
    """Telegram announces an upgrade in both the old group and the new supergroup."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await move_chat(context, old, new)


async def move_chat(context: BotContext, old: int, new: int) -> None:
    """Move our rows and PTB's chat_data to the supergroup id (idempotent)."""
    if await context.services.chats.migrate(old, new):
        context.application.migrate_chat_data(old_chat_id=old, new_chat_id=new)
        log.info("group migrated chat_id=%s new_chat_id=%s", old, new)


def register(app: BotApplication) -> None:
    app.add_handler(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
