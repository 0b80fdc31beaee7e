"""Campaign drafts written in the dashboard: texts, photo, audience and moment, kept until the
author saves them as a campaign (then they become a `campaigns` row, the same as one made in
the chat, and the draft goes) or deletes them. The chat's wizard keeps its draft in PTB's
user data instead; a draft here survives closing the browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.storage.database import Database, from_db_time, from_db_time_or_none, to_db_time, utcnow
from bot.storage.outbox import audience_from_json, audience_to_json
from scheduler.delivery import Audience, Content


@dataclass(frozen=True)
class CampaignDraft:
    id: int
    author_id: int
    content: Content
    audience: Audience
    due_at: datetime | None  # None: as soon as it is saved (or approved)
    updated_at: datetime


def _row(row: aiosqlite.Row) -> CampaignDraft:
    return CampaignDraft(
        id=row["id"],
        author_id=row["author_id"],
        content=Content(
            texts=json.loads(row["texts"]), image=Path(row["image"]) if row["image"] else None
        ),
        audience=audience_from_json(row["audience"]),
        due_at=from_db_time_or_none(row["due_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


class CampaignDraftStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self,
        draft_id: int | None,
        author_id: int,
        content: Content,
        audience: Audience,
        due_at: datetime | None,
    ) -> int:
        """Create a draft (`draft_id` None) or update the author's own one; its id."""
        now = to_db_time(utcnow())
        values = (
            json.dumps(content.texts, ensure_ascii=False),
            str(content.image) if content.image else None,
            audience_to_json(audience),
            to_db_time(due_at) if due_at else None,
            now,
        )
        if draft_id is None:
            return await self.db.insert(
                "INSERT INTO campaign_drafts (texts, image, audience, due_at, updated_at, "
                "author_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*values, author_id, now),
            )
        await self.db.execute(
            "UPDATE campaign_drafts SET texts = ?, image = ?, audience = ?, due_at = ?, "
            "updated_at = ? WHERE id = ? AND author_id = ?",
            (*values, draft_id, author_id),
        )
        return draft_id

    async def get(self, draft_id: int, author_id: int) -> CampaignDraft | None:
        """Only the author's own draft: drafts are as private as the chat wizard's."""
        row = await self.db.fetchone(
            "SELECT * FROM campaign_drafts WHERE id = ? AND author_id = ?", (draft_id, author_id)
        )
        return None if row is None else _row(row)

    async def of(self, author_id: int) -> list[CampaignDraft]:
        rows = await self.db.fetchall(
            "SELECT * FROM campaign_drafts WHERE author_id = ? ORDER BY updated_at DESC",
            (author_id,),
        )
        return [_row(r) for r in rows]

    async def delete(self, draft_id: int, author_id: int) -> bool:
        return (
            await self.db.execute(
                "DELETE FROM campaign_drafts WHERE id = ? AND author_id = ?",
                (draft_id, author_id),
            )
            == 1
        )
