"""What operators ask the database: the bot's own run record (last start, heartbeat), the health
conditions it has announced, and the figures behind `buurtwacht status` and the metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.database import Database, from_db_time, from_db_time_or_none, to_db_time


@dataclass(frozen=True)
class OutboxHealth:
    by_state: dict[str, int]
    due: int  # pending rows whose not_before has come
    oldest_due: datetime | None  # not_before of the oldest of those
    held: int  # pending rows waiting for later (quiet hours, retry backoff)


class OperationsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- the run record --------------------------------------------------------------------

    async def set_state(self, key: str, value: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO runtime_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (key, value, to_db_time(now)),
        )

    async def state(self) -> dict[str, str]:
        rows = await self.db.fetchall("SELECT key, value FROM runtime_state")
        return {row["key"]: row["value"] for row in rows}

    # --- announced health conditions ------------------------------------------------------------

    async def raised(self) -> dict[str, tuple[datetime, str]]:
        rows = await self.db.fetchall("SELECT condition, raised_at, detail FROM health_alerts")
        return {r["condition"]: (from_db_time(r["raised_at"]), r["detail"]) for r in rows}

    async def raise_condition(self, condition: str, detail: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO health_alerts (condition, raised_at, detail) VALUES (?, ?, ?) "
            "ON CONFLICT (condition) DO NOTHING",
            (condition, to_db_time(now), detail),
        )

    async def clear_condition(self, condition: str) -> None:
        await self.db.execute("DELETE FROM health_alerts WHERE condition = ?", (condition,))

    # --- figures ---------------------------------------------------------------------------------

    async def outbox(self, now: datetime) -> OutboxHealth:
        by_state = {
            r["state"]: r["n"]
            for r in await self.db.fetchall(
                "SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state"
            )
        }
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, MIN(not_before) AS oldest FROM deliveries "
            "WHERE state = 'pending' AND not_before <= ?",
            (to_db_time(now),),
        )
        assert row is not None
        due = int(row["n"])
        return OutboxHealth(
            by_state=by_state,
            due=due,
            oldest_due=from_db_time_or_none(row["oldest"]),
            held=by_state.get("pending", 0) - due,
        )

    async def failed_since(self, since: datetime) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT COALESCE(reason, '') AS reason, COUNT(*) AS n FROM deliveries "
            "WHERE state = 'failed' AND updated_at >= ? GROUP BY reason ORDER BY n DESC",
            (to_db_time(since),),
        )
        return {r["reason"]: r["n"] for r in rows}

    async def subscriptions(self) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT kind, COUNT(*) AS n FROM chats WHERE subscribed = 1 AND active = 1 "
            "GROUP BY kind"
        )
        return {r["kind"]: r["n"] for r in rows}

    async def advice_by_status(self) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM advice_requests GROUP BY status"
        )
        return {r["status"]: r["n"] for r in rows}

    async def silent_teams(self, now: datetime, days: int) -> dict[int, list[str]]:
        """Teams (chat id -> municipalities) with a request unclaimed for `days` days that have
        claimed nothing in those days."""
        since = to_db_time(now - timedelta(days=days))
        rows = await self.db.fetchall(
            """
            SELECT t.chat_id, t.municipality FROM advice_teams t
            WHERE EXISTS (SELECT 1 FROM advice_requests r WHERE r.status = 'new'
                          AND r.created_at < ?1 AND r.municipality IN
                              (SELECT municipality FROM advice_teams WHERE chat_id = t.chat_id))
              AND NOT EXISTS (SELECT 1 FROM advice_requests r WHERE r.claimed_at >= ?1
                          AND r.municipality IN
                              (SELECT municipality FROM advice_teams WHERE chat_id = t.chat_id))
            ORDER BY t.chat_id, t.municipality
            """,
            (since,),
        )
        teams: dict[int, list[str]] = {}
        for r in rows:
            teams.setdefault(r["chat_id"], []).append(r["municipality"])
        return teams
