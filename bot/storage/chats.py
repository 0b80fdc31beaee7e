"""Chats and their subscriptions (private chats of residents and neighbourhood groups)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import aiosqlite

from bot.storage.database import Database, to_db_time, utcnow
from bot.storage.tallies import fold_deliveries

ChatKind = Literal["private", "group"]
T = TypeVar("T")


@dataclass(frozen=True)
class Chat:
    chat_id: int
    kind: ChatKind
    locale: str
    municipality: str | None
    neighbourhood: str | None
    topics: frozenset[str]
    subscribed: bool
    active: bool
    created_at: str
    updated_at: str
    subscribed_at: str | None
    # Coordinates a WhatsApp neighbourhood group: gets the share button on every message.
    coordinator: bool = False


def _row_to_chat(row: aiosqlite.Row) -> Chat:
    return Chat(
        chat_id=row["chat_id"],
        kind=row["kind"],
        locale=row["locale"],
        municipality=row["municipality"],
        neighbourhood=row["neighbourhood"],
        topics=frozenset(t for t in row["topics"].split(",") if t),
        subscribed=bool(row["subscribed"]),
        active=bool(row["active"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        subscribed_at=row["subscribed_at"],
        coordinator=bool(row["coordinator"]),
    )


async def _counted(
    conn: aiosqlite.Connection, chat_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """(municipality, kind) of those of `chat_ids` that count as subscribers now."""
    if not chat_ids:
        return {}
    cursor = await conn.execute(
        f"""
        SELECT chat_id, municipality, kind FROM chats
        WHERE chat_id IN ({",".join("?" * len(chat_ids))})
          AND subscribed = 1 AND active = 1 AND municipality IS NOT NULL
        """,
        list(chat_ids),
    )
    return {row["chat_id"]: (row["municipality"], row["kind"]) for row in await cursor.fetchall()}


async def with_events(
    conn: aiosqlite.Connection, chat_ids: Sequence[int], change: Callable[[], Awaitable[T]]
) -> T:
    """Apply `change` (a write to `chats` inside the open transaction on `conn`) and record in
    `subscription_events` how it changed which of `chat_ids` count, and for which municipality
    and kind: -1 for the old pair if the chat counted before, +1 for the new pair if it counts
    after. Every writer that can change that goes through here, so the history stays exact.
    A change of chat id (supergroup migration) is no change in subscribers: don't wrap it.
    """
    before = await _counted(conn, chat_ids)
    result = await change()
    after = await _counted(conn, chat_ids)
    now = to_db_time(utcnow())
    rows: list[tuple[str, str, int, str]] = []
    for chat_id in dict.fromkeys(chat_ids):
        old, new = before.get(chat_id), after.get(chat_id)
        if old == new:
            continue
        if old is not None:
            rows.append((*old, -1, now))
        if new is not None:
            rows.append((*new, 1, now))
    if rows:
        await conn.executemany(
            "INSERT INTO subscription_events (municipality, kind, delta, at) VALUES (?, ?, ?, ?)",
            rows,
        )
    return result


class ChatStore:
    """Repository for the `chats` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, chat_id: int) -> Chat | None:
        row = await self.db.fetchone("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
        return None if row is None else _row_to_chat(row)

    async def ensure(self, chat_id: int, kind: ChatKind, locale: str) -> Chat:
        """Record a chat the bot has met (first /start, added to a group); reactivates it."""
        now = to_db_time(utcnow())
        await self._write(
            chat_id,
            """
            INSERT INTO chats (chat_id, kind, locale, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET active = 1, updated_at = excluded.updated_at
            """,
            (chat_id, kind, locale, now, now),
        )
        chat = await self.get(chat_id)
        assert chat is not None
        return chat

    async def subscribe(
        self,
        chat_id: int,
        *,
        municipality: str,
        neighbourhood: str | None,
        topics: frozenset[str],
        locale: str,
        coordinator: bool = False,
    ) -> None:
        now = to_db_time(utcnow())
        await self._write(
            chat_id,
            """
            UPDATE chats SET municipality = ?, neighbourhood = ?, topics = ?, locale = ?,
                coordinator = ?, subscribed = 1, active = 1, updated_at = ?,
                subscribed_at = COALESCE(subscribed_at, ?)
            WHERE chat_id = ?
            """,
            (
                municipality,
                neighbourhood,
                ",".join(sorted(topics)),
                locale,
                int(coordinator),
                now,
                now,
                chat_id,
            ),
        )

    async def set_locale(self, chat_id: int, locale: str) -> None:
        await self.db.execute(
            "UPDATE chats SET locale = ?, updated_at = ? WHERE chat_id = ?",
            (locale, to_db_time(utcnow()), chat_id),
        )

    async def set_active(self, chat_id: int, active: bool) -> None:
        """Inactive chats (bot blocked or removed) keep their settings but receive nothing."""
        await self._write(
            chat_id,
            "UPDATE chats SET active = ?, updated_at = ? WHERE chat_id = ?",
            (int(active), to_db_time(utcnow()), chat_id),
        )

    async def unsubscribe(self, chat_id: int) -> None:
        """Remove the subscription's data; the bare chat row stays so the language is kept."""
        await self._write(
            chat_id,
            """
            UPDATE chats SET municipality = NULL, neighbourhood = NULL, topics = '',
                coordinator = 0, subscribed = 0, subscribed_at = NULL, updated_at = ?
            WHERE chat_id = ?
            """,
            (to_db_time(utcnow()), chat_id),
        )

    async def delete(self, chat_id: int) -> None:
        """Erase the chat and its deliveries; their outcomes stay as anonymous counts."""
        async with self.db.transaction() as conn:

            async def change() -> None:
                await fold_deliveries(conn, chat_id)
                await conn.execute("DELETE FROM chats WHERE chat_id = ?", (chat_id,))

            await with_events(conn, [chat_id], change)

    async def _write(self, chat_id: int, sql: str, params: Sequence[Any]) -> None:
        """One write to the chat's row, with its subscription events, in one transaction."""
        async with self.db.transaction() as conn:

            async def change() -> None:
                await conn.execute(sql, params)

            await with_events(conn, [chat_id], change)

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """Move a group to its supergroup id; rows in other tables follow by ON UPDATE CASCADE.

        Only the id changes, so no subscription events (see `with_events`).

        Idempotent: Telegram announces a migration in both chats and a send may report it too.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute("SELECT 1 FROM chats WHERE chat_id = ?", (new_id,))
            if await cursor.fetchone() is not None:
                return False
            cursor = await conn.execute(
                "UPDATE chats SET chat_id = ?, kind = 'group', updated_at = ? WHERE chat_id = ?",
                (new_id, to_db_time(utcnow()), old_id),
            )
            return cursor.rowcount == 1
