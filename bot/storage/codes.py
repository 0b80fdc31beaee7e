"""One-time codes (the role invites' and the team link codes): only a hash of a code is stored,
with its creator and an expiry, and a code is redeemed at most once.

The table's name and its "used by" column are constants of the calling repository, never input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

import aiosqlite

from bot.storage.database import Database, to_db_time

Refusal = Literal["unknown", "used", "expired"]


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def store(
    db: Database,
    table: str,
    digest: str,
    columns: Mapping[str, object],
    created_by: int,
    now: datetime,
    ttl: timedelta,
) -> None:
    """Keep a new code's hash `digest` in `table`, with its own `columns`, expiring after `ttl`."""
    names = ["code_hash", *columns, "created_by", "created_at", "expires_at"]
    await db.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        (digest, *columns.values(), created_by, to_db_time(now), to_db_time(now + ttl)),
    )


def _usable(row: aiosqlite.Row | None, stamp: str) -> aiosqlite.Row | Refusal:
    if row is None:
        return "unknown"
    if row["used_at"] is not None:
        return "used"
    if row["expires_at"] <= stamp:
        return "expired"
    return row


async def peek(db: Database, table: str, digest: str, now: datetime) -> aiosqlite.Row | Refusal:
    """The code's row if it could be used now, without using it (to ask for a confirmation
    first), or why it cannot."""
    row = await db.fetchone(f"SELECT * FROM {table} WHERE code_hash = ?", (digest,))
    return _usable(row, to_db_time(now))


async def claim(
    conn: aiosqlite.Connection,
    table: str,
    used_by_column: str,
    digest: str,
    used_by: int,
    stamp: str,
) -> aiosqlite.Row | Refusal:
    """In the caller's transaction: the code's row, now marked used (at `stamp`, by `used_by`),
    or why the code cannot be used. What the code grants belongs in the same transaction, so a
    code works exactly once."""
    cursor = await conn.execute(f"SELECT * FROM {table} WHERE code_hash = ?", (digest,))
    row = _usable(await cursor.fetchone(), stamp)
    if isinstance(row, str):
        return row
    await conn.execute(
        f"UPDATE {table} SET used_at = ?, {used_by_column} = ? WHERE code_hash = ?",
        (stamp, used_by, digest),
    )
    return row
