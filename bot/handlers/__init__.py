"""Every handler is registered here, in one visible order (PTB tries handlers in order)."""

from __future__ import annotations

from bot.handlers import advice, common, membership, privacy, subscription, team
from bot.services import BotApplication


def register_all(app: BotApplication) -> None:
    membership.register(app)
    subscription.register(app)
    common.register(app)
    advice.register(app)
    team.register(app)
    privacy.register(app)
    # Must stay last: replies to whatever no feature handled.
    common.register_fallbacks(app)
