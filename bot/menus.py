"""Command menus and the bot's descriptions, per scope and language, set at every start-up.

Staff (admins and advisers) also get a menu of their own in their private chat with the bot,
refreshed when a role is granted or revoked; everyone else never sees those commands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, Forbidden

from bot.commands import CommandSpec, visible
from bot.i18n import N_, Catalogues, Translator

log = logging.getLogger(__name__)

DESCRIPTION = N_(
    "Buurtwacht keeps burglary prevention on the agenda in Twente all year round: short tips at "
    "the right moments, reminders before the holidays, alerts for your neighbourhood and free "
    "prevention advice where your municipality offers it. Press Start to subscribe."
)
SHORT_DESCRIPTION = N_("Tips against burglary in Twente, all year round.")


async def publish_menus(bot: Bot, i18n: Catalogues) -> None:
    scopes: list[tuple[BotCommandScope, list[str]]] = [
        (BotCommandScopeAllPrivateChats(), ["private"]),
        (BotCommandScopeAllGroupChats(), ["group"]),
        (BotCommandScopeAllChatAdministrators(), ["group_admin"]),
    ]
    # The default locale is also published without a language code, for every other language.
    for locale in (*i18n.available, ""):
        _ = i18n.get(locale or i18n.default)
        for scope, (where,) in scopes:
            specs = (
                visible("group", group_admin=True)
                if where == "group_admin"
                else visible("private" if where == "private" else "group")
            )
            await bot.set_my_commands(
                _commands(_, specs), scope=scope, language_code=locale or None
            )
        await bot.set_my_description(_(DESCRIPTION), language_code=locale or None)
        await bot.set_my_short_description(_(SHORT_DESCRIPTION), language_code=locale or None)


def _commands(_: Translator, specs: Iterable[CommandSpec]) -> list[BotCommand]:
    """One entry per command name (a later, more specific spec wins)."""
    unique = {spec.name: spec for spec in specs}.values()
    return [BotCommand(spec.name, _(spec.description)) for spec in unique]


async def publish_staff_menu(
    bot: Bot, i18n: Catalogues, user_id: int, *, admin: bool, adviser: bool
) -> None:
    """The private-chat menu of one staff member (or the plain one when they have no role)."""
    scope = BotCommandScopeChat(user_id)
    try:
        for locale in (*i18n.available, ""):
            if not (admin or adviser):
                await bot.delete_my_commands(scope=scope, language_code=locale or None)
                continue
            specs = visible("private", admin=admin, adviser=adviser)
            _ = i18n.get(locale or i18n.default)
            await bot.set_my_commands(
                _commands(_, specs), scope=scope, language_code=locale or None
            )
    except (BadRequest, Forbidden):
        # Not started the bot yet (or blocked it): the menu follows at the next start-up.
        log.info("no staff menu for user_id=%s yet", user_id)
