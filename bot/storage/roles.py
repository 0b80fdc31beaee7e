"""Repository for roles granted in the chat, one-time invite links, and the audit log.

A scope is a set of municipality slugs; `ALL` ("*") stands for the whole region, so an adviser
"for all" keeps that scope when a municipality is added to the configuration later.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import aiosqlite

from bot.storage import codes
from bot.storage.database import Database, from_db_time, to_db_time, utcnow

Role = Literal["admin", "adviser"]
ALL = "*"
INVITE_TTL = timedelta(hours=72)

RedeemOutcome = codes.Refusal


def _scope_text(municipalities: Iterable[str]) -> str:
    slugs = sorted(set(municipalities))
    return ALL if ALL in slugs else ",".join(slugs)


def _scope(value: str) -> frozenset[str]:
    return frozenset(s for s in value.split(",") if s)


@dataclass(frozen=True)
class Grant:
    user_id: int
    role: Role
    municipalities: frozenset[str]  # may contain ALL
    label: str
    granted_by: int | None
    granted_at: datetime


@dataclass(frozen=True)
class Redeemed:
    role: Role
    municipalities: frozenset[str]
    created_by: int


class RoleStore:
    """Repository for the `roles` and `role_invites` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def grant(
        self,
        user_id: int,
        role: Role,
        municipalities: Iterable[str],
        *,
        label: str = "",
        by: int | None = None,
    ) -> None:
        """Give `role` for `municipalities` (replacing an earlier scope); also the demo's way in."""
        await self.db.execute(
            "INSERT INTO roles (user_id, role, municipalities, label, granted_by, granted_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, role) DO UPDATE SET "
            "municipalities = excluded.municipalities, label = excluded.label, "
            "granted_by = excluded.granted_by, granted_at = excluded.granted_at",
            (user_id, role, _scope_text(municipalities), label, by, to_db_time(utcnow())),
        )

    async def revoke(self, user_id: int, role: Role) -> bool:
        return (
            await self.db.execute(
                "DELETE FROM roles WHERE user_id = ? AND role = ?", (user_id, role)
            )
            == 1
        )

    async def of(self, user_id: int) -> dict[Role, frozenset[str]]:
        rows = await self.db.fetchall(
            "SELECT role, municipalities FROM roles WHERE user_id = ?", (user_id,)
        )
        return {row["role"]: _scope(row["municipalities"]) for row in rows}

    async def forget_label(self, user_id: int) -> None:
        """/forgetme by a staff member: their name goes; the role (their job) stays."""
        await self.db.execute("UPDATE roles SET label = '' WHERE user_id = ?", (user_id,))

    async def all(self) -> list[Grant]:
        rows = await self.db.fetchall("SELECT * FROM roles ORDER BY role, granted_at, user_id")
        return [
            Grant(
                user_id=row["user_id"],
                role=row["role"],
                municipalities=_scope(row["municipalities"]),
                label=row["label"],
                granted_by=row["granted_by"],
                granted_at=from_db_time(row["granted_at"]),
            )
            for row in rows
        ]

    async def create_invite(
        self, role: Role, municipalities: Iterable[str], created_by: int, now: datetime
    ) -> str:
        """A new one-time code for a `/start inv_<code>` link; only its hash is stored."""
        code = secrets.token_urlsafe(18)
        columns = {"role": role, "municipalities": _scope_text(municipalities)}
        await codes.store(
            self.db, "role_invites", codes.code_hash(code), columns, created_by, now, INVITE_TTL
        )
        return code

    async def redeem_invite(
        self, code: str, user_id: int, label: str, now: datetime
    ) -> Redeemed | RedeemOutcome:
        """Grant the invite's role to `user_id`; marking it used and granting are one
        transaction, so an invite works exactly once."""
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            row = await codes.claim(
                conn, "role_invites", "used_by", codes.code_hash(code), user_id, stamp
            )
            if isinstance(row, str):
                return row
            await conn.execute(
                "INSERT INTO roles (user_id, role, municipalities, label, granted_by, granted_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, role) DO UPDATE SET "
                "municipalities = excluded.municipalities, label = excluded.label, "
                "granted_by = excluded.granted_by, granted_at = excluded.granted_at",
                (user_id, row["role"], row["municipalities"], label, row["created_by"], stamp),
            )
        return Redeemed(row["role"], _scope(row["municipalities"]), row["created_by"])


# A refusal that repeats one of the same user (same action, target and detail) within this time
# of its last repeat adds to that row's count instead of writing a row.
COLLAPSE_WINDOW = timedelta(hours=1)
# At most this many refusal rows per user a day; beyond it, their refusals are counted in one
# FLOOD_ACTION row, so one account cannot push the real entries out of /audit.
REFUSED_ROWS_PER_DAY = 20
FLOOD_ACTION = "audit.flood"


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: int | None
    action: str
    target: str
    outcome: Literal["ok", "refused"]
    detail: str
    count: int  # 1, or how many times a refusal repeated (see AuditLog)
    last_at: datetime  # the last of `count` repeats


class AuditLog:
    """Repository for `audit_log`: every privileged action and every refusal, ids only.

    Every action that was done is one row. Refusals are what an attacker can produce at will,
    so their rows are bounded: repeats collapse into one row with a count, and each user gets
    at most REFUSED_ROWS_PER_DAY rows, after which their refusals are counted in one row.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        actor_id: int | None,
        action: str,
        target: str = "",
        *,
        outcome: Literal["ok", "refused"] = "ok",
        detail: str = "",
        now: datetime | None = None,
    ) -> bool:
        """Write the entry; False when it only added to the count of an earlier row (a
        repeated refusal, or one over the user's daily rows)."""
        moment = now or utcnow()
        async with self.db.transaction() as conn:
            if outcome == "refused":
                if await _repeat(conn, actor_id, action, target, detail, moment):
                    return False
                cursor = await conn.execute(
                    "SELECT COUNT(*) FROM audit_log WHERE actor_id IS ? AND outcome = 'refused' "
                    "AND at >= ?",
                    (actor_id, to_db_time(moment - timedelta(days=1))),
                )
                (rows_today,) = await cursor.fetchone() or (0,)
                if rows_today >= REFUSED_ROWS_PER_DAY:
                    action, target = FLOOD_ACTION, ""
                    detail = f"more than {REFUSED_ROWS_PER_DAY} refused rows in a day"
                    if await _repeat(conn, actor_id, action, target, detail, moment):
                        return False
            stamp = to_db_time(moment)
            await conn.execute(
                "INSERT INTO audit_log (at, last_at, actor_id, action, target, outcome, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (stamp, stamp, actor_id, action, target, outcome, detail),
            )
        return True

    async def latest(self, limit: int = 50) -> list[AuditEntry]:
        """The entries with the latest activity first (a refusal that keeps repeating stays
        one row near the top)."""
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log ORDER BY last_at DESC, id DESC LIMIT ?", (limit,)
        )
        return [_entry(row) for row in rows]

    async def of_actor(self, actor_id: int) -> list[AuditEntry]:
        """Everything the log holds about what one person did or tried (for their /mydata)."""
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE actor_id = ? ORDER BY id", (actor_id,)
        )
        return [_entry(row) for row in rows]

    async def since(self, moment: datetime) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE last_at >= ? ORDER BY id", (to_db_time(moment),)
        )
        return [_entry(row) for row in rows]

    async def purge_before(self, cutoff: datetime) -> int:
        """Retention: delete the rows whose last activity is before `cutoff`."""
        return await self.db.execute(
            "DELETE FROM audit_log WHERE last_at < ?", (to_db_time(cutoff),)
        )


async def _repeat(
    conn: aiosqlite.Connection,
    actor_id: int | None,
    action: str,
    target: str,
    detail: str,
    moment: datetime,
) -> bool:
    """Count a refusal into the same user's same refusal of the last COLLAPSE_WINDOW."""
    cursor = await conn.execute(
        "UPDATE audit_log SET count = count + 1, last_at = ? WHERE id = ("
        " SELECT id FROM audit_log WHERE outcome = 'refused' AND actor_id IS ? AND action = ?"
        " AND target = ? AND detail = ? AND last_at >= ? ORDER BY id DESC LIMIT 1)",
        (
            to_db_time(moment),
            actor_id,
            action,
            target,
            detail,
            to_db_time(moment - COLLAPSE_WINDOW),
        ),
    )
    return cursor.rowcount == 1


def _entry(row: aiosqlite.Row) -> AuditEntry:
    return AuditEntry(
        at=from_db_time(row["at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        target=row["target"],
        outcome=row["outcome"],
        detail=row["detail"],
        count=row["count"],
        last_at=from_db_time(row["last_at"]),
    )
