"""The dashboard's sign-in state: one-time login codes and sessions, only their hashes stored.

A login code is made by `/dashboard` (or by a validated Mini App start) for one user, lives
LOGIN_TTL and is used once, exactly like the invite codes (bot/storage/codes.py). Using it opens
a session: a random id in an HttpOnly cookie, of which the database holds only the SHA-256, so a
copy of the database opens no session. The role is never stored with a session: every request
asks `bot.auth.user_roles` again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage import codes
from bot.storage.database import Database, from_db_time, to_db_time

LOGIN_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
LOGIN_TABLE = "dashboard_login_codes"


@dataclass(frozen=True)
class Session:
    user_id: int
    locale: str
    expires_at: datetime


class DashboardStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_login(self, user_id: int, now: datetime) -> str:
        """A new one-time code that opens a session for `user_id` (144 random bits)."""
        await self.db.execute(
            f"DELETE FROM {LOGIN_TABLE} WHERE expires_at <= ?", (to_db_time(now),)
        )
        code = secrets.token_urlsafe(18)
        await codes.store(
            self.db,
            LOGIN_TABLE,
            codes.code_hash(code),
            {"user_id": user_id},
            user_id,
            now,
            LOGIN_TTL,
        )
        return code

    async def use_login(self, code: str, now: datetime) -> int | codes.Refusal:
        """The user id the code was made for, now marked used; or why it cannot be used."""
        async with self.db.transaction() as conn:
            digest = codes.code_hash(code)
            cursor = await conn.execute(
                f"SELECT user_id FROM {LOGIN_TABLE} WHERE code_hash = ?", (digest,)
            )
            owner = await cursor.fetchone()
            row = await codes.claim(
                conn,
                LOGIN_TABLE,
                "used_by",
                digest,
                owner["user_id"] if owner else 0,
                to_db_time(now),
            )
        return row if isinstance(row, str) else int(row["user_id"])

    async def open_session(self, user_id: int, locale: str, now: datetime) -> str:
        """A new session id for the cookie; expired sessions of anyone are dropped here."""
        await self.db.execute(
            "DELETE FROM dashboard_sessions WHERE expires_at <= ?", (to_db_time(now),)
        )
        session_id = secrets.token_urlsafe(32)
        await self.db.execute(
            "INSERT INTO dashboard_sessions (id_hash, user_id, locale, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                codes.code_hash(session_id),
                user_id,
                locale,
                to_db_time(now),
                to_db_time(now + SESSION_TTL),
            ),
        )
        return session_id

    async def session(self, session_id: str, now: datetime) -> Session | None:
        row = await self.db.fetchone(
            "SELECT user_id, locale, expires_at FROM dashboard_sessions "
            "WHERE id_hash = ? AND expires_at > ?",
            (codes.code_hash(session_id), to_db_time(now)),
        )
        if row is None:
            return None
        return Session(int(row["user_id"]), row["locale"], from_db_time(row["expires_at"]))

    async def close_session(self, session_id: str) -> None:
        await self.db.execute(
            "DELETE FROM dashboard_sessions WHERE id_hash = ?", (codes.code_hash(session_id),)
        )

    async def forget(self, user_id: int) -> None:
        """/forgetme: the person's sessions, unused codes and campaign drafts go."""
        await self.db.execute("DELETE FROM dashboard_sessions WHERE user_id = ?", (user_id,))
        await self.db.execute(f"DELETE FROM {LOGIN_TABLE} WHERE user_id = ?", (user_id,))
        await self.db.execute("DELETE FROM campaign_drafts WHERE author_id = ?", (user_id,))
