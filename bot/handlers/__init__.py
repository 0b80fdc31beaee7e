"""Every handler is registered here, in one visible order (PTB tries handlers in order)."""

from __future__ import annotations

from bot.handlers import (
    advice,
    alerts,
    campaign_wizard,
    campaigns,
    common,
    feedback,
    membership,
    privacy,
    reports,
    roles,
    subscription,
    tailoring,
    team,
    topic_offer,
)
from bot.services import BotApplication


def register_all(app: BotApplication) -> None:
    membership.register(app)
    # Advisers and admins first: the invite deep link must win over the plain /start, and their
    # conversations' /cancel over the advice conversation's "nothing to cancel".
    roles.register_deep_link(app)
    roles.register(app)
    campaign_wizard.register(app)
    campaigns.register(app)
    alerts.register(app)
    tailoring.register(app)
    reports.register(app)
    subscription.register(app)
    topic_offer.register(app)
    # The buttons under broadcasts (callback prefixes bot.feedback.buttons.PREFIXES) and /buttons.
    feedback.register(app)
    common.register(app)
    advice.register(app)
    team.register(app)
    privacy.register(app)
    # Must stay last: replies to whatever no feature handled.
    common.register_fallbacks(app)
