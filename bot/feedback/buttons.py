"""Which buttons a broadcast carries, built once per broadcast and locale (never per chat):

- "👍 Useful" / "👎 Not useful" under calendar messages and campaigns ([feedback] enabled);
- "Share in your WhatsApp group…" under alerts, campaigns and the calendar messages of the
  topics [sharing] lists, for every chat; where it is not for every chat, still for the chats
  subscribed as WhatsApp group coordinators (a button marked `coordinators_only`); nowhere
  when [sharing] enabled is false;
- none at all under a calendar entry an admin switched off (/buttons off ENTRY).

The callback data holds only a short tag of the broadcast key: what a press may change is
decided from the delivery row of that chat and message (bot/handlers/feedback.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.config import Config
from bot.i18n import N_, Catalogues
from bot.storage.feedback import FeedbackStore
from messages.loader import Calendar
from scheduler.delivery import Audience, Button, Content, Keyboard
from scheduler.planner import PlannedBroadcast, Resolver

# The callback prefixes of these buttons, handled in bot/handlers/feedback.py.
VOTE_PREFIX = "fb"
SHARE_PREFIX = "shr"
# The broadcasts that may carry buttons, by source.
SOURCES = ("calendar", "campaign", "alert")
UP, DOWN = "up", "down"

USEFUL = N_("👍 Useful")
NOT_USEFUL = N_("👎 Not useful")
SHARE = N_("📲 Share in your WhatsApp group…")


def tag(key: str) -> str:
    """A short, stable stand-in for a broadcast key (callback data has 64 bytes at most)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def vote_data(key: str, up: bool) -> str:
    return f"{VOTE_PREFIX}:{tag(key)}:{UP if up else DOWN}"


def share_data(key: str) -> str:
    return f"{SHARE_PREFIX}:{tag(key)}"


@dataclass(frozen=True)
class Wanted:
    votes: bool
    share: bool  # for every chat
    share_coordinators: bool  # at least for coordinators


@dataclass
class Buttons:
    config: Config
    i18n: Catalogues
    store: FeedbackStore
    calendar: Calendar

    async def wanted(self, source: str, ref: str) -> Wanted:
        """What a broadcast of `source` ("calendar", "campaign", "alert") gets."""
        sharing, feedback = self.config.sharing, self.config.feedback
        coordinators = sharing.enabled
        if source == "calendar":
            try:
                topic = self.calendar.get(ref).topic
            except KeyError:
                return Wanted(False, False, False)
            if await self.store.buttons_off(ref):
                return Wanted(False, False, False)
            share = sharing.enabled and topic in sharing.topics
            return Wanted(feedback.enabled, share, coordinators)
        if source == "campaign":
            return Wanted(feedback.enabled, sharing.enabled and sharing.campaigns, coordinators)
        if source == "alert":
            return Wanted(False, sharing.enabled and sharing.alerts, coordinators)
        return Wanted(False, False, False)

    async def add(self, source: str, key: str, ref: str, content: Content) -> Content:
        """`content` with its buttons in every locale of its texts."""
        wanted = await self.wanted(source, ref)
        buttons = {locale: self._keyboard(locale, key, wanted) for locale in content.texts}
        buttons = {locale: rows for locale, rows in buttons.items() if rows}
        return Content(texts=content.texts, image=content.image, buttons=buttons)

    def _keyboard(self, locale: str, key: str, wanted: Wanted) -> Keyboard:
        _ = self.i18n.get(locale)
        rows: list[tuple[Button, ...]] = []
        if wanted.votes:
            up, down = vote_data(key, True), vote_data(key, False)
            rows.append((Button(_(USEFUL), up), Button(_(NOT_USEFUL), down)))
        if wanted.share or wanted.share_coordinators:
            rows.append((Button(_(SHARE), share_data(key), coordinators_only=not wanted.share),))
        return tuple(rows)

    def resolver(self, inner: Resolver) -> Resolver:
        """A planner resolver whose content gets its buttons (calendar messages, campaigns)."""

        async def resolve(broadcast: PlannedBroadcast) -> tuple[Content, Audience] | str:
            resolved = await inner(broadcast)
            if isinstance(resolved, str):
                return resolved
            content, audience = resolved
            return await self.add(broadcast.source, broadcast.key, broadcast.ref, content), audience

        return resolve
