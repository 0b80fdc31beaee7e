"""Role checks, always done server-side at the moment of the action (never trusted from a button).

Group administrators are asked of Telegram live (getChatMember) on every privileged action:
caching would let a demoted admin keep power.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import Bot, Chat, ChatMember, Message, Update
from telegram.error import TelegramError

from bot.config import Municipality
from bot.menus import publish_staff_menu
from bot.services import BotContext, Services
from bot.storage.roles import ALL

log = logging.getLogger(__name__)

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
    if is_anonymous_admin(update):
        return True
    return await is_group_admin(context, chat.id, user.id)


def is_anonymous_admin(update: Update) -> bool:
    """A message an administrator of this very group sent anonymously (as the group). Only
    messages can be anonymous: the same person's button presses carry their own account."""
    chat, message = update.effective_chat, update.effective_message
    return (
        chat is not None
        and isinstance(message, Message)
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    )


@dataclass(frozen=True)
class Roles:
    """What a user may do as admin or adviser; `municipalities` is their adviser scope (an
    admin's is the whole region)."""

    admin: bool
    municipalities: frozenset[str]

    @property
    def adviser(self) -> bool:
        return bool(self.municipalities)

    def covers(self, municipalities: Iterable[str]) -> bool:
        wanted = set(municipalities)
        return bool(wanted) and wanted <= self.municipalities


async def user_roles(services: Services, user_id: int | None) -> Roles:
    """Roles from the config (bootstrap admins) and the roles table, asked at every action."""
    if user_id is None:
        return Roles(False, frozenset())
    region = frozenset(m.slug for m in services.config.municipalities)
    granted = await services.roles.of(user_id)
    if user_id in services.config.admins.user_ids or "admin" in granted:
        return Roles(True, region)
    scope = granted.get("adviser", frozenset())
    return Roles(False, region if ALL in scope else scope & region)


async def refresh_staff_menu(bot: Bot, services: Services, user_id: int) -> None:
    """Give a user the private-chat menu that fits their roles now (after a grant or revoke)."""
    roles = await user_roles(services, user_id)
    await publish_staff_menu(
        bot, services.i18n, user_id, admin=roles.admin, adviser=roles.adviser and not roles.admin
    )


async def guard(
    update: Update,
    context: BotContext,
    action: str,
    *,
    admin: bool = False,
    municipalities: Iterable[str] = (),
    target: str = "",
) -> Roles | None:
    """The caller's roles when they may do `action` now, in a private chat; else None.

    A refusal is told to the caller and audit-logged (ids only). `municipalities`: every one of
    them must be in the caller's scope (e.g. the campaign's audience).
    """
    user, chat = update.effective_user, update.effective_chat
    roles = await user_roles(context.services, user.id if user else None)
    wanted = tuple(municipalities)
    allowed = roles.admin if admin else roles.adviser and (not wanted or roles.covers(wanted))
    _ = await context.translator(update)
    if not allowed:
        new_row = await context.services.audit.record(
            user.id if user else None,
            action,
            target or ",".join(wanted),
            outcome="refused",
            detail=f"chat_id={chat.id}" if chat else "",
            now=context.services.now(),
        )
        if new_row:  # a flood of repeats is counted in the audit log, not logged line by line
            log.warning("refused %s user_id=%s", action, user.id if user else None)
        await _tell(update, _("Sorry, you are not allowed to do that."))
        return None
    if chat is None or chat.type != Chat.PRIVATE:
        await _tell(update, _("Please use this in a private chat with me."))
        return None
    if user is not None:
        # Others write to staff too (approval requests, invite notices): in their language.
        await context.services.chats.ensure(
            user.id, "private", context.services.i18n.pick(user.language_code)
        )
    return roles


async def guard_municipality_press(
    update: Update, context: BotContext, action: str
) -> Municipality | None:
    """The municipality of a `<prefix>:m:<index>` press (an index into the configuration) when
    `guard` lets the presser do `action` for it; else None (the refusal is told by `guard`)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    index = int(query.data.rsplit(":", 1)[1])
    municipalities = context.services.config.municipalities
    slug = municipalities[index].slug if index < len(municipalities) else "?"
    if not await guard(update, context, action, municipalities=[slug]):
        return None
    return municipalities[index]


async def _tell(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
