"""Repository for neighbourhood alerts (what was sent where; the deliveries are the engine's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import Database, from_db_time, to_db_time


@dataclass(frozen=True)
class Alert:
    id: int
    municipality: str
    neighbourhoods: tuple[str, ...]
    sent_at: datetime
    recipients: int


def _alert(r: aiosqlite.Row) -> Alert:
    return Alert(
        r["id"],
        r["municipality"],
        tuple(h for h in r["neighbourhoods"].split(",") if h),
        from_db_time(r["sent_at"]),
        r["recipients"],
    )


class AlertStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        author_id: int,
        municipality: str,
        neighbourhoods: Iterable[str],
        sent_at: datetime,
        recipients: int,
    ) -> int:
        return await self.db.insert(
            "INSERT INTO alerts (author_id, municipality, neighbourhoods, sent_at, recipients) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                author_id,
                municipality,
                ",".join(sorted(neighbourhoods)),
                to_db_time(sent_at),
                recipients,
            ),
        )

    async def by_author(self, author_id: int) -> list[Alert]:
        """The alerts someone sent (for their /mydata), oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM alerts WHERE author_id = ? ORDER BY sent_at, id", (author_id,)
        )
        return [_alert(r) for r in rows]

    async def set_recipients(self, alert_id: int, recipients: int) -> None:
        await self.db.execute(
            "UPDATE alerts SET recipients = ? WHERE id = ?", (recipients, alert_id)
        )

    async def count(
        self, municipalities: Iterable[str], start: datetime, end: datetime
    ) -> dict[str, int]:
        """Alerts per municipality sent in [start, end)."""
        slugs = sorted(municipalities)
        rows = await self.db.fetchall(
            f"SELECT municipality, COUNT(*) AS n FROM alerts WHERE municipality IN "
            f"({','.join('?' * len(slugs))}) AND sent_at >= ? AND sent_at < ? "
            "GROUP BY municipality",
            [*slugs, to_db_time(start), to_db_time(end)],
        )
        return {row["municipality"]: row["n"] for row in rows}

    async def between(
        self, municipalities: Iterable[str], start: datetime, end: datetime
    ) -> list[Alert]:
        """Alerts sent in [start, end) in `municipalities`, oldest first."""
        slugs = sorted(municipalities)
        rows = await self.db.fetchall(
            f"SELECT * FROM alerts WHERE municipality IN ({','.join('?' * len(slugs))}) "
            "AND sent_at >= ? AND sent_at < ? ORDER BY sent_at",
            [*slugs, to_db_time(start), to_db_time(end)],
        )
        return [_alert(r) for r in rows]
