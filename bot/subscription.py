"""What a subscription is, independent of Telegram: topics, the wizard draft and its summary."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.config import Config
from bot.i18n import N_, Translator
from bot.storage.chats import Chat

# Topic keys are shared with the calendar files (messages/calendar/*.toml) and alerts.
TOPICS: dict[str, str] = {
    "burglary": N_("Burglary prevention"),
    "holidays": N_("Holidays"),
    "students": N_("Students"),
    "valuables": N_("Registering valuables (Stop Heling)"),
    "alerts": N_("Neighbourhood alerts"),
}
# What a new subscription starts with: the seed report's core messages (burglary prevention,
# the school-holiday reminders, Stop Heling) and neighbourhood alerts, which are on unless
# switched off, as residents know it from Burgernet. Students are opt-in.
DEFAULT_TOPICS = frozenset({"burglary", "holidays", "valuables", "alerts"})
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
# The choice in the topics step of a private chat (bot/handlers/subscription.py).
COORDINATOR = N_("I coordinate a WhatsApp neighbourhood group")

Step = Literal["municipality", "neighbourhood", "topics", "language", "menu"]
# Where the wizard's draft lives in chat_data.
WIZARD_KEY = "wizard"
# The wizard that finished last in a chat ({"nonce", "message_id", "started"}): the second tap
# of a double tap on its last button is answered quietly. Dropped after a day like a draft.
FINISHED_KEY = "wizard_finished"
Mode = Literal["new", "edit"]


@dataclass
class Draft:
    """The wizard's state, stored in PTB's persisted chat_data as a plain dict.

    `nonce` is part of every button's callback data and `message_id` is the wizard's message:
    a press with another nonce, or on another message, comes from an outdated keyboard (or a
    forged one) and is refused with an explanation. `started` (ISO time, set when the draft is
    first stored) lets the daily job forget a wizard that was opened and left (most who open the
    bot once from a poster), which would otherwise stay in memory and in the database for good.
    """

    mode: Mode
    step: Step
    municipality: str | None = None
    neighbourhood: str | None = None
    topics: list[str] = field(default_factory=lambda: sorted(DEFAULT_TOPICS))
    # A coordinator of a WhatsApp neighbourhood group (private chats): the share button on
    # every message.
    coordinator: bool = False
    nonce: str = field(default_factory=lambda: secrets.token_hex(4))
    message_id: int | None = None
    started: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Draft | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**data)
        except TypeError:
            return None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def for_chat(cls, chat: Chat, mode: Mode, step: Step) -> Draft:
        return cls(
            mode=mode,
            step=step,
            municipality=chat.municipality,
            neighbourhood=chat.neighbourhood,
            topics=sorted(chat.topics or DEFAULT_TOPICS),
            coordinator=chat.coordinator,
        )

    def toggle(self, topic: str) -> None:
        if topic in self.topics:
            self.topics.remove(topic)
        else:
            self.topics = sorted({*self.topics, topic})


def summary(_: Translator, config: Config, chat: Chat) -> str:
    """The chat's subscription in words (after subscribing and in /settings)."""
    municipality = config.municipality(chat.municipality)
    topic_names = ", ".join(_(TOPICS[t]) for t in sorted(chat.topics) if t in TOPICS)
    lines = [
        _("Municipality: <b>{name}</b>", name=municipality.name if municipality else "?"),
        _("Neighbourhood: <b>{name}</b>", name=chat.neighbourhood or _("whole municipality")),
        _("Topics: <b>{names}</b>", names=topic_names),
        _("Language: <b>{name}</b>", name=LANGUAGE_NAMES.get(chat.locale, chat.locale)),
    ]
    if chat.coordinator:
        lines.append(_("WhatsApp group coordinator: <b>yes</b> (a share button on every message)"))
    return "\n".join(lines)
