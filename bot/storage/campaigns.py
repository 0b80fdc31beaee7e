"""Repository for campaigns written by advisers.

The campaign row holds what the adviser decided (texts, audience, moment, approval); what happened
to the delivery lives in the engine's broadcast row with key `campaign:<id>`, so there is one truth
for "sent" and its counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import aiosqlite

from bot.storage.database import Database, from_db_time, to_db_time, utcnow
from bot.storage.outbox import audience_from_json, audience_to_json
from scheduler.delivery import Audience, Content

CampaignState = Literal["awaiting_approval", "scheduled", "cancelled"]


def broadcast_key(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


@dataclass(frozen=True)
class Campaign:
    id: int
    author_id: int
    state: CampaignState
    content: Content
    audience: Audience
    due_at: datetime
    approved_by: int | None
    created_at: datetime

    @property
    def key(self) -> str:
        return broadcast_key(self.id)


def _row(row: aiosqlite.Row) -> Campaign:
    return Campaign(
        id=row["id"],
        author_id=row["author_id"],
        state=row["state"],
        content=Content(
            texts=json.loads(row["texts"]), image=Path(row["image"]) if row["image"] else None
        ),
        audience=audience_from_json(row["audience"]),
        due_at=from_db_time(row["due_at"]),
        approved_by=row["approved_by"],
        created_at=from_db_time(row["created_at"]),
    )


class CampaignStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        author_id: int,
        content: Content,
        audience: Audience,
        due_at: datetime,
        state: CampaignState,
    ) -> Campaign:
        now = to_db_time(utcnow())
        campaign_id = await self.db.insert(
            "INSERT INTO campaigns (author_id, state, texts, image, audience, due_at, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                author_id,
                state,
                json.dumps(content.texts, ensure_ascii=False),
                str(content.image) if content.image else None,
                audience_to_json(audience),
                to_db_time(due_at),
                now,
                now,
            ),
        )
        campaign = await self.get(campaign_id)
        assert campaign is not None
        return campaign

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await self.db.fetchone("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
        return None if row is None else _row(row)

    async def recent(self, limit: int = 20) -> list[Campaign]:
        """Upcoming first (soonest first), then the most recent past ones."""
        rows = await self.db.fetchall(
            "SELECT * FROM campaigns ORDER BY due_at DESC, id DESC LIMIT ?", (limit,)
        )
        return sorted((_row(r) for r in rows), key=lambda c: c.due_at)

    async def by_author(self, author_id: int) -> list[Campaign]:
        """The campaigns someone wrote (for their /mydata), oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM campaigns WHERE author_id = ? ORDER BY created_at, id", (author_id,)
        )
        return [_row(r) for r in rows]

    async def between(self, start: datetime, end: datetime) -> list[Campaign]:
        rows = await self.db.fetchall(
            "SELECT * FROM campaigns WHERE due_at >= ? AND due_at < ? ORDER BY due_at",
            (to_db_time(start), to_db_time(end)),
        )
        return [_row(r) for r in rows]

    async def approve(self, campaign_id: int, by: int, due_at: datetime) -> bool:
        """Only a campaign still awaiting approval can be approved (a second press is a no-op)."""
        return (
            await self.db.execute(
                "UPDATE campaigns SET state = 'scheduled', approved_by = ?, due_at = ?, "
                "updated_at = ? WHERE id = ? AND state = 'awaiting_approval'",
                (by, to_db_time(due_at), to_db_time(utcnow()), campaign_id),
            )
            == 1
        )

    async def set_state(self, campaign_id: int, state: CampaignState) -> None:
        await self.db.execute(
            "UPDATE campaigns SET state = ?, updated_at = ? WHERE id = ?",
            (state, to_db_time(utcnow()), campaign_id),
        )

    async def set_content(self, campaign_id: int, content: Content) -> None:
        await self.db.execute(
            "UPDATE campaigns SET texts = ?, image = ?, updated_at = ? WHERE id = ?",
            (
                json.dumps(content.texts, ensure_ascii=False),
                str(content.image) if content.image else None,
                to_db_time(utcnow()),
                campaign_id,
            ),
        )

    async def set_due(self, campaign_id: int, due_at: datetime) -> None:
        await self.db.execute(
            "UPDATE campaigns SET due_at = ?, updated_at = ? WHERE id = ?",
            (to_db_time(due_at), to_db_time(utcnow()), campaign_id),
        )
