"""Votes (👍/👎) and shares of broadcasts, and the calendar entries without buttons.

A vote is stored as (message key, municipality, vote), a share as (message key, municipality):
no chat id, no user id. So that a chat votes once and may change its vote (and a share counts
once per chat), each row also carries `chat_hash`: HMAC-SHA256 over (kind, chat id, message key)
with a deployment key (bot/storage/keys.py), made at random on first use.

Why that is not the chat id in clear: the feedback table, or any copy or export of it, says
nothing about who voted; linking a vote to a chat needs the secret and a chat id to try, that is
this very database with its delivery rows. And the link is kept only while a vote may change:
it is deleted (`chat_hash` set to NULL) `feedback.vote_days` after the message by a daily job,
and at once for a chat that stops or asks to be forgotten. What remains is an anonymous count.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.storage.database import Database, from_db_time, to_db_time
from bot.storage.keys import deployment_key
from bot.storage.outbox import content_from_json
from scheduler.delivery import Content, Keyboard

# The deployment key of the chat hashes (bot/storage/keys.py).
FEEDBACK_KEY = "feedback"
Kind = Literal["vote", "share"]
VoteOutcome = Literal["new", "same", "changed"]


def _chunks(values: list[str], size: int = 500) -> Iterator[tuple[str, list[str]]]:
    """`values` in pieces within SQLite's limit of bound parameters, each with its "?,?"."""
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        yield ",".join("?" * len(chunk)), chunk


@dataclass(frozen=True)
class Delivered:
    """A message the bot delivered to a chat, as a press on it needs to know it."""

    key: str
    source: str
    ref: str
    due_at: datetime
    locale: str
    municipality: str
    subscribed: bool
    coordinator: bool
    content: Content

    @property
    def keyboard(self) -> Keyboard:
        """The buttons this chat was sent under the message."""
        return self.content.keyboard(self.locale, self.coordinator)


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._secret: bytes | None = None

    async def _hash(self, kind: Kind, chat_id: int, key: str) -> str:
        if self._secret is None:
            self._secret = await deployment_key(self.db, FEEDBACK_KEY)
        message = f"{kind}:{chat_id}:{key}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    async def delivered(self, chat_id: int, message_id: int) -> Delivered | None:
        """The sent delivery that is this message in this chat, or None (also when its
        municipality is unknown: the chat stopped since)."""
        row = await self.db.fetchone(
            """
            SELECT d.broadcast_key, d.locale, b.source, b.ref, b.due_at, b.content,
                   COALESCE(b.municipality, c.municipality) AS municipality,
                   c.subscribed, c.coordinator
            FROM deliveries d
            JOIN broadcasts b ON b.key = d.broadcast_key
            JOIN chats c ON c.chat_id = d.chat_id
            WHERE d.chat_id = ? AND d.message_id = ? AND d.state = 'sent'
            """,
            (chat_id, message_id),
        )
        if row is None or row["content"] is None or row["municipality"] is None:
            return None
        return Delivered(
            key=row["broadcast_key"],
            source=row["source"],
            ref=row["ref"],
            due_at=from_db_time(row["due_at"]),
            locale=row["locale"],
            municipality=row["municipality"],
            subscribed=bool(row["subscribed"]),
            coordinator=bool(row["coordinator"]),
            content=content_from_json(row["content"]),
        )

    async def vote(self, chat_id: int, key: str, municipality: str, up: bool) -> VoteOutcome:
        """The chat's vote on a message: its first, the same again, or a change."""
        chat_hash = await self._hash("vote", chat_id, key)
        value = 1 if up else -1
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT value FROM feedback WHERE chat_hash = ?", (chat_hash,)
            )
            row = await cursor.fetchone()
            if row is None:
                await conn.execute(
                    "INSERT INTO feedback (kind, broadcast_key, municipality, value, chat_hash) "
                    "VALUES ('vote', ?, ?, ?, ?)",
                    (key, municipality, value, chat_hash),
                )
                return "new"
            if row["value"] == value:
                return "same"
            await conn.execute(
                "UPDATE feedback SET value = ? WHERE chat_hash = ?", (value, chat_hash)
            )
            return "changed"

    async def share(self, chat_id: int, key: str, municipality: str) -> bool:
        """Count that the chat asked for the share link of a message; False when it had."""
        chat_hash = await self._hash("share", chat_id, key)
        return (
            await self.db.execute(
                "INSERT OR IGNORE INTO feedback (kind, broadcast_key, municipality, value, "
                "chat_hash) VALUES ('share', ?, ?, 1, ?)",
                (key, municipality, chat_hash),
            )
            == 1
        )

    async def _chat_hashes(self, chat_id: int) -> list[str]:
        """The hashes the chat's votes and shares would have, for every message it received."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT broadcast_key FROM deliveries WHERE chat_id = ? AND state = 'sent'",
            (chat_id,),
        )
        kinds: tuple[Kind, ...] = ("vote", "share")
        return [
            await self._hash(kind, chat_id, row["broadcast_key"]) for row in rows for kind in kinds
        ]

    async def linked_to(self, chat_id: int) -> list[tuple[str, str, int]]:
        """/mydata: (kind, message key, value) of the chat's votes and shares still linked."""
        hashes = await self._chat_hashes(chat_id)
        found: list[tuple[str, str, int]] = []
        for marks, chunk in _chunks(hashes):
            rows = await self.db.fetchall(
                f"SELECT kind, broadcast_key, value FROM feedback "
                f"WHERE chat_hash IN ({marks}) ORDER BY id",
                chunk,
            )
            found += [(row["kind"], row["broadcast_key"], row["value"]) for row in rows]
        return found

    async def unlink_chat(self, chat_id: int) -> int:
        """/stop and /forgetme: the chat's votes and shares stay as counts, unlinkable."""
        hashes = await self._chat_hashes(chat_id)
        unlinked = 0
        async with self.db.transaction() as conn:
            for marks, chunk in _chunks(hashes):
                cursor = await conn.execute(
                    f"UPDATE feedback SET chat_hash = NULL WHERE chat_hash IN ({marks})", chunk
                )
                unlinked += cursor.rowcount
        return unlinked

    async def close_before(self, cutoff: datetime) -> int:
        """Votes on messages due before `cutoff` can no longer change: delete their links.

        Looks first, so that a night (or a start-up) with nothing to close writes nothing."""
        stale = (
            "chat_hash IS NOT NULL AND broadcast_key IN "
            "(SELECT key FROM broadcasts WHERE due_at < ?)"
        )
        params = (to_db_time(cutoff),)
        if await self.db.fetchval(f"SELECT 1 FROM feedback WHERE {stale} LIMIT 1", params) is None:
            return 0
        return await self.db.execute(f"UPDATE feedback SET chat_hash = NULL WHERE {stale}", params)

    # --- calendar entries without buttons ----------------------------------------------------

    async def buttons_off(self, entry_id: str) -> bool:
        return (
            await self.db.fetchval("SELECT 1 FROM feedback_off WHERE entry_id = ?", (entry_id,))
            is not None
        )

    async def set_buttons(self, entry_id: str, on: bool, by: int, now: datetime) -> bool:
        """Switch an entry's buttons on or off; False when they already were."""
        if on:
            changed = await self.db.execute(
                "DELETE FROM feedback_off WHERE entry_id = ?", (entry_id,)
            )
        else:
            changed = await self.db.execute(
                "INSERT OR IGNORE INTO feedback_off (entry_id, created_by, created_at) "
                "VALUES (?, ?, ?)",
                (entry_id, by, to_db_time(now)),
            )
        return changed == 1

    async def entries_off(self) -> list[str]:
        rows = await self.db.fetchall("SELECT entry_id FROM feedback_off ORDER BY entry_id")
        return [row["entry_id"] for row in rows]
