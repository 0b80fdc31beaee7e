"""Command menus and the bot's descriptions, per scope and language, set at every start-up."""

from __future__ import annotations

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.commands import visible
from bot.i18n import N_, Catalogues

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
            unique = {spec.name: spec for spec in specs}.values()
            commands = [BotCommand(spec.name, _(spec.description)) for spec in unique]
            await bot.set_my_commands(commands, scope=scope, language_code=locale or None)
        await bot.set_my_description(_(DESCRIPTION), language_code=locale or None)
        await bot.set_my_short_description(_(SHORT_DESCRIPTION), language_code=locale or None)
