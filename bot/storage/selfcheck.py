"""Repository for self-check reminders: the only place self-check answers are kept on their
own, and only until the reminder is sent (or the resident uses /forgetme)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import Database, from_db_time, to_db_time


@dataclass(frozen=True)
class Reminder:
    user_id: int
    answers: str
    locale: str
    created_at: datetime
    due_at: datetime


def _reminder(row: aiosqlite.Row) -> Reminder:
    return Reminder(
        user_id=row["user_id"],
        answers=row["answers"],
        locale=row["locale"],
        created_at=from_db_time(row["created_at"]),
        due_at=from_db_time(row["due_at"]),
    )


class SelfcheckStore:
    """Repository for the `selfcheck_reminders` table (one pending reminder per resident)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def remind(
        self, user_id: int, answers: str, locale: str, now: datetime, due_at: datetime
    ) -> None:
        """Keep the answers for a reminder at `due_at`; a newer check replaces an older one."""
        await self.db.execute(
            "INSERT INTO selfcheck_reminders (user_id, answers, locale, created_at, due_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
            "answers = excluded.answers, locale = excluded.locale, "
            "created_at = excluded.created_at, due_at = excluded.due_at",
            (user_id, answers, locale, to_db_time(now), to_db_time(due_at)),
        )

    async def due(self, now: datetime) -> list[Reminder]:
        rows = await self.db.fetchall(
            "SELECT * FROM selfcheck_reminders WHERE due_at <= ? ORDER BY due_at",
            (to_db_time(now),),
        )
        return [_reminder(r) for r in rows]

    async def of(self, user_id: int) -> Reminder | None:
        row = await self.db.fetchone(
            "SELECT * FROM selfcheck_reminders WHERE user_id = ?", (user_id,)
        )
        return None if row is None else _reminder(row)

    async def delete(self, user_id: int, due_at: datetime) -> None:
        """Done with this reminder (sent, or the chat is gone). A newer check the resident did
        meanwhile (another due time) stays."""
        await self.db.execute(
            "DELETE FROM selfcheck_reminders WHERE user_id = ? AND due_at = ?",
            (user_id, to_db_time(due_at)),
        )

    async def forget_user(self, user_id: int) -> int:
        return await self.db.execute(
            "DELETE FROM selfcheck_reminders WHERE user_id = ?", (user_id,)
        )
