"""The one-time offer of new default topics to chats that subscribed before they existed.

A row exists only while its offer is open (`message_id` set once it is sent); answering it, or
finding nothing left to offer, deletes the row. So an offer is made and answered at most once,
and nothing of it stays behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database, to_db_time, utcnow


@dataclass(frozen=True)
class TopicOffer:
    chat_id: int
    kind: str
    locale: str
    missing: frozenset[str]  # offered topics the chat does not have yet


class TopicOfferStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def unsent(self) -> list[TopicOffer]:
        """Open offers not sent yet, of chats that are still subscribed and active."""
        rows = await self.db.fetchall(
            """
            SELECT o.chat_id, o.topics AS offered, c.kind, c.locale, c.topics
            FROM topic_offers o JOIN chats c ON c.chat_id = o.chat_id
            WHERE o.message_id IS NULL AND c.subscribed = 1 AND c.active = 1
            ORDER BY o.chat_id
            """
        )
        return [
            TopicOffer(
                row["chat_id"],
                row["kind"],
                row["locale"],
                frozenset(row["offered"].split(",")) - set(row["topics"].split(",")),
            )
            for row in rows
        ]

    async def mark_sent(self, chat_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE topic_offers SET message_id = ? WHERE chat_id = ?", (message_id, chat_id)
        )

    async def drop(self, chat_id: int) -> None:
        """Nothing (more) to offer this chat: it has the topics, or cannot be reached."""
        await self.db.execute("DELETE FROM topic_offers WHERE chat_id = ?", (chat_id,))

    async def answer(self, chat_id: int, message_id: int, accept: bool) -> frozenset[str] | None:
        """Close the offer shown as `message_id` in the chat and, on yes, add its topics.

        None when there is no such open offer (another message, answered already, or the chat
        unsubscribed meanwhile). One transaction, so two presses cannot both count.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                """
                SELECT o.topics AS offered, c.topics FROM topic_offers o
                JOIN chats c ON c.chat_id = o.chat_id
                WHERE o.chat_id = ? AND o.message_id = ? AND c.subscribed = 1
                """,
                (chat_id, message_id),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            await conn.execute("DELETE FROM topic_offers WHERE chat_id = ?", (chat_id,))
            current = {t for t in row["topics"].split(",") if t}
            added = frozenset(row["offered"].split(",")) - current
            if accept and added:
                # Topics do not change whether a chat counts as a subscriber, so this write
                # needs no subscription event (see chats.with_events).
                await conn.execute(
                    "UPDATE chats SET topics = ?, updated_at = ? WHERE chat_id = ?",
                    (",".join(sorted(current | added)), to_db_time(utcnow()), chat_id),
                )
            return added if accept else frozenset()
