"""Delivery outcomes that outlive the chat they went to.

/forgetme deletes a chat, and with it (ON DELETE CASCADE) its deliveries; the counts of
campaigns and calendar messages in /stats and the report must not drop because of that. So
before a chat is deleted its finished deliveries are folded into `delivery_tallies`: per
broadcast, recipient municipality and outcome, a number, with no chat or user id.
"""

from __future__ import annotations

import aiosqlite

# Telegram's reason when a private chat blocked the bot ("Forbidden: bot was blocked by the user").
BLOCKED_MARK = "blocked"


async def fold_deliveries(conn: aiosqlite.Connection, chat_id: int) -> None:
    """Inside the transaction that deletes `chat_id`: count its finished deliveries anonymously.
    Pending ones are not counted: they will never be sent."""
    await conn.execute(
        """
        INSERT INTO delivery_tallies (broadcast_key, municipality, state, blocked, n)
        SELECT d.broadcast_key, COALESCE(c.municipality, ''), d.state,
               COALESCE(d.reason, '') LIKE ?, COUNT(*)
        FROM deliveries d JOIN chats c ON c.chat_id = d.chat_id
        WHERE d.chat_id = ? AND d.state IN ('sent', 'failed', 'skipped')
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (broadcast_key, municipality, state, blocked) DO UPDATE SET n = n + excluded.n
        """,
        (f"%{BLOCKED_MARK}%", chat_id),
    )
