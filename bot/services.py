"""The live objects every handler needs, kept in `context.bot_data["services"]`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Config
from bot.feedback.buttons import Buttons
from bot.i18n import Catalogues, Translator
from bot.storage import Database
from bot.storage.advice import AdviceStore
from bot.storage.alerts import AlertStore
from bot.storage.campaign_drafts import CampaignDraftStore
from bot.storage.campaigns import CampaignStore
from bot.storage.chats import ChatStore
from bot.storage.dashboard import DashboardStore
from bot.storage.database import utcnow
from bot.storage.feedback import FeedbackStore
from bot.storage.figures import FigureStore
from bot.storage.inspections import InspectionStore
from bot.storage.media import MediaStore
from bot.storage.outbox import OutboxStore
from bot.storage.roles import AuditLog, RoleStore
from bot.storage.selfcheck import SelfcheckStore
from bot.storage.teams import TeamStore
from bot.storage.topic_offers import TopicOfferStore
from messages.loader import Calendar
from scheduler.delivery import DeliveryEngine
from scheduler.planner import Planner

if TYPE_CHECKING:
    from bot.teamwork import TeamPoster


@dataclass
class Services:
    config: Config
    db: Database
    chats: ChatStore
    i18n: Catalogues
    advice: AdviceStore
    teams: TeamStore
    calendar: Calendar
    outbox: OutboxStore
    roles: RoleStore
    audit: AuditLog
    campaigns: CampaignStore
    alerts: AlertStore
    figures: FigureStore
    topic_offers: TopicOfferStore
    inspections: InspectionStore
    selfchecks: SelfcheckStore
    media: MediaStore
    feedback: FeedbackStore
    # Which buttons (👍/👎, share) a broadcast carries.
    buttons: Buttons
    dashboard: DashboardStore
    drafts: CampaignDraftStore
    # The one source of "now" for domain logic, so tests can move time instead of waiting.
    now: Callable[[], datetime] = field(default=utcnow)
    # Built with the Application, because they send through its Bot.
    engine: DeliveryEngine = field(init=False)
    planner: Planner = field(init=False)
    team_poster: TeamPoster = field(init=False)


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
