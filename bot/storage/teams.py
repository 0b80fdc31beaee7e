"""Repository for prevention teams (a group linked to municipalities) and one-time link codes."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import aiosqlite

from bot.storage import codes
from bot.storage.database import Database, to_db_time, utcnow

CODE_TTL = timedelta(hours=24)
# No 0/O, 1/I/L: the code is read from one screen and typed on another.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10

RedeemResult = str | codes.Refusal


def digest(code: str) -> str:
    """What is stored of a code (and all that is kept while a relink waits for a confirmation)."""
    return codes.code_hash("".join(ch for ch in code.upper() if ch.isalnum()))


class TeamStore:
    """Repository for the `advice_teams` and `advice_link_codes` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def link(self, chat_id: int, municipality: str, now: datetime | None = None) -> None:
        """Make `chat_id` the team of `municipality` (replacing an earlier team).

        Also the demo's way to start with a linked team. The group gets a chats row if the bot
        has not met it yet, because teams refer to chats (and move with a group migration).
        """
        async with self.db.transaction() as conn:
            await _link(conn, chat_id, municipality, to_db_time(now or utcnow()))

    async def team_of(self, municipality: str) -> int | None:
        value = await self.db.fetchval(
            "SELECT chat_id FROM advice_teams WHERE municipality = ?", (municipality,)
        )
        return None if value is None else int(value)

    async def municipalities_of(self, chat_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT municipality FROM advice_teams WHERE chat_id = ? ORDER BY municipality",
            (chat_id,),
        )
        return [row[0] for row in rows]

    async def teams(self) -> dict[int, list[str]]:
        """Every team chat with its municipalities."""
        rows = await self.db.fetchall(
            "SELECT chat_id, municipality FROM advice_teams ORDER BY chat_id, municipality"
        )
        teams: dict[int, list[str]] = {}
        for row in rows:
            teams.setdefault(row["chat_id"], []).append(row["municipality"])
        return teams

    async def create_code(self, municipality: str, created_by: int, now: datetime) -> str:
        """A new one-time code, shown once; only its hash is stored."""
        code = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
        await codes.store(
            self.db,
            "advice_link_codes",
            digest(code),
            {"municipality": municipality},
            created_by,
            now,
            CODE_TTL,
        )
        return f"{code[:5]}-{code[5:]}"

    async def municipality_of_code(self, code_digest: str, now: datetime) -> RedeemResult:
        """The municipality a code would link, without using it; or why it cannot be used."""
        row = await codes.peek(self.db, "advice_link_codes", code_digest, now)
        return row if isinstance(row, str) else str(row["municipality"])

    async def redeem(self, code: str, chat_id: int, now: datetime) -> RedeemResult:
        return await self.redeem_digest(digest(code), chat_id, now)

    async def redeem_digest(self, code_digest: str, chat_id: int, now: datetime) -> RedeemResult:
        """Link `chat_id` with the code's municipality; returns the slug or why not.

        Marking the code used and linking happen in one transaction, so a code works once.
        """
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            row = await codes.claim(
                conn, "advice_link_codes", "used_in_chat", code_digest, chat_id, stamp
            )
            if isinstance(row, str):
                return row
            municipality: str = row["municipality"]
            await _link(conn, chat_id, municipality, stamp)
        return municipality


async def _link(conn: aiosqlite.Connection, chat_id: int, municipality: str, stamp: str) -> None:
    await conn.execute(
        "INSERT INTO chats (chat_id, kind, locale, created_at, updated_at) "
        "SELECT ?, 'group', 'nl', ?, ? WHERE NOT EXISTS (SELECT 1 FROM chats WHERE chat_id = ?)",
        (chat_id, stamp, stamp, chat_id),
    )
    await conn.execute(
        "INSERT INTO advice_teams (municipality, chat_id, linked_at) VALUES (?, ?, ?) "
        "ON CONFLICT (municipality) DO UPDATE SET chat_id = excluded.chat_id, "
        "linked_at = excluded.linked_at",
        (municipality, chat_id, stamp),
    )
