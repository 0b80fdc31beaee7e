"""The live objects every handler needs, kept in `context.bot_data["services"]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Config
from bot.i18n import Catalogues, Translator
from bot.storage import Database
from bot.storage.chats import ChatStore


@dataclass
class Services:
    config: Config
    db: Database
    chats: ChatStore
    i18n: Catalogues


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the services (as in PTB's customcallbackcontext)."""

    @property
    def services(self) -> Services:
        services = self.bot_data["services"]
        assert isinstance(services, Services)
        return services

    async def translator(self, update: object) -> Translator:
        """The chat's stored locale, else the user's Telegram language, else the default."""
        i18n = self.services.i18n
        if isinstance(update, Update) and update.effective_chat:
            chat = await self.services.chats.get(update.effective_chat.id)
            if chat is not None:
                return i18n.get(chat.locale)
        user = update.effective_user if isinstance(update, Update) else None
        return i18n.get(i18n.pick(user.language_code if user else None))


# PTB's Application is generic in six types we do not vary; handlers take this alias.
BotApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
