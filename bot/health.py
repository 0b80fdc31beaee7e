"""Conditions that need a human, checked every minute and told to the admins in Telegram.

Each condition is announced once when it arises and once when it clears, never on every check:
the announced ones are rows (`health_alerts`), so a restart does not repeat them either. When
the database itself fails, the state is kept in memory for as long as it cannot be written.

The conditions (thresholds in `[health]`): delivery stalled (a due delivery waiting longer than
`stalled_minutes`), repeated 429s from Telegram, database errors in the last 10 minutes, and a
prevention team that claimed nothing for `team_silent_days` while a request waits.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.i18n import Translator
from bot.metrics import Metrics
from bot.services import Services
from bot.storage.operations import OperationsStore
from bot.teamwork import chat_translator

log = logging.getLogger(__name__)

STALLED = "stalled"
RATE_LIMITED = "rate_limited"
DATABASE = "database"
TEAM_PREFIX = "team:"


@dataclass(frozen=True)
class Finding:
    condition: str
    text: Callable[[Translator], str]
    # Kept with the announced condition, for the "resolved" message (e.g. the team's names).
    detail: str = ""


def silent_team_text(names: str, days: int) -> Callable[[Translator], str]:
    def text(_: Translator) -> str:
        return _(
            "⚠️ The prevention team of {names} has claimed no request for {days} days, while a "
            "request has been waiting longer than that. Please contact the team.",
            names=names,
            days=days,
        )

    return text


def resolved_text(condition: str, detail: str) -> Callable[[Translator], str]:
    if condition == STALLED:
        return lambda _: _("✅ Resolved: delivery is moving again.")
    if condition == RATE_LIMITED:
        return lambda _: _("✅ Resolved: Telegram no longer answers 'too many requests'.")
    if condition == DATABASE:
        return lambda _: _("✅ Resolved: no database errors in the last 10 minutes.")
    return lambda _: _(
        "✅ Resolved: nothing waits any more for the prevention team of {names}.", names=detail
    )


class HealthMonitor:
    def __init__(self, services: Services, metrics: Metrics, store: OperationsStore) -> None:
        self.services = services
        self.metrics = metrics
        self.store = store
        self.raised: dict[str, str] = {}  # condition -> detail, as announced

    async def load(self) -> None:
        self.raised = {c: detail for c, (_, detail) in (await self.store.raised()).items()}

    async def findings(self, now: datetime) -> list[Finding]:
        """The conditions that hold now. Database failures become a finding themselves."""
        h = self.services.config.health
        found: list[Finding] = []
        try:
            outbox = await self.store.outbox(now)
            silent = await self.store.silent_teams(now, h.team_silent_days)
        except sqlite3.Error:
            log.exception("health check could not read the database")
            outbox, silent = None, {}
        if outbox is not None and outbox.oldest_due is not None:
            minutes = int((now - outbox.oldest_due).total_seconds() // 60)
            if minutes >= h.stalled_minutes:
                due = outbox.due
                found.append(
                    Finding(
                        STALLED,
                        lambda _: _.ngettext(
                            "⚠️ Delivery is stalled: {n} message is due and has waited {minutes} "
                            "minutes. See the bot's log; `buurtwacht status` shows the details.",
                            "⚠️ Delivery is stalled: {n} messages are due, the oldest has waited "
                            "{minutes} minutes. See the bot's log; `buurtwacht status` shows the "
                            "details.",
                            due,
                            minutes=minutes,
                        ),
                    )
                )
        limited = self.metrics.rate_limited_recent.recent()
        if limited >= h.rate_limited_per_10_minutes:
            found.append(
                Finding(
                    RATE_LIMITED,
                    lambda _: _(
                        "⚠️ Telegram answered 'too many requests' {count} times in the last 10 "
                        "minutes. Check that nothing else sends with this bot's token and that "
                        "[delivery] stays within Telegram's limits.",
                        count=limited,
                    ),
                )
            )
        errors = self.metrics.database_errors_recent.recent()
        if errors:
            found.append(
                Finding(
                    DATABASE,
                    lambda _: _(
                        "⚠️ Database errors: {count} in the last 10 minutes. Check the free disk "
                        "space and the bot's log.",
                        count=errors,
                    ),
                )
            )
        for chat_id, slugs in silent.items():
            names = ", ".join(self.services.config.municipality_name(s) for s in slugs)
            text = silent_team_text(names, h.team_silent_days)
            found.append(Finding(f"{TEAM_PREFIX}{chat_id}", text, names))
        return found

    async def check(self, bot: Bot, now: datetime) -> tuple[list[str], list[str]]:
        """Announce what arose and what cleared since the last check: (raised, cleared)."""
        current = {f.condition: f for f in await self.findings(now)}
        arisen = [c for c in current if c not in self.raised]
        cleared = [c for c in self.raised if c not in current]
        for condition in arisen:
            await self._announce(bot, current[condition].text)
            self.raised[condition] = current[condition].detail
            detail = current[condition].detail
            await self._persist(self.store.raise_condition(condition, detail, now))
        for condition in cleared:
            await self._announce(bot, resolved_text(condition, self.raised.pop(condition)))
            await self._persist(self.store.clear_condition(condition))
        self.metrics.health.clear()
        for condition in self.raised:
            self.metrics.health.labels(condition).set(1)
        if arisen or cleared:
            log.warning("health: raised %s, cleared %s", arisen, cleared)
        return arisen, cleared

    async def _persist(self, write: Awaitable[None]) -> None:
        try:
            await write
        except sqlite3.Error:
            log.exception("health: could not record a condition; kept in memory")

    async def _announce(self, bot: Bot, text: Callable[[Translator], str]) -> None:
        for admin in await self.admins():
            try:
                _ = await chat_translator(self.services, admin, None)
            except sqlite3.Error:  # their stored language is unknown: the default one
                _ = self.services.i18n.get(None)
            try:
                await bot.send_message(admin, text(_), parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("health notice to user_id=%s failed: %s", admin, type(exc).__name__)

    async def admins(self) -> list[int]:
        """Config admins and admins granted in the chat (a broken database: config only)."""
        admins = set(self.services.config.admins.user_ids)
        try:
            admins |= {g.user_id for g in await self.services.roles.all() if g.role == "admin"}
        except sqlite3.Error:
            log.warning("health: granted admins unknown (database error); telling config admins")
        return sorted(admins)
