"""The one owner of the aiosqlite connections.

aiosqlite runs each connection in its own thread and queues calls in order, so two tasks that both
open a transaction on one connection would interleave their statements. Writes therefore go through
`transaction()`, which holds an asyncio lock around BEGIN IMMEDIATE ... COMMIT and rolls back on any
BaseException (cancellation included). Reads use a second connection: under WAL it sees only
committed data and never waits for the writer.

Reads on that connection also take turns (`_read_lock`, from the first step to the closed cursor).
A statement holds its connection's read transaction until it is reset, so a query that ran while
another task's statement was stepped but not yet fetched would see the database as it was when
that statement began, not what was committed since: the delivery engine read a row it had just
recorded as sent as still pending, and sent it twice.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.files import FOLDER_MODE, private_file, tighten
from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
Params = Sequence[Any] | dict[str, Any]


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Timestamps are stored as ISO 8601 UTC text, so they sort and compare as strings."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def from_db_time_or_none(value: str | None) -> datetime | None:
    """A nullable time column (or an aggregate over no rows): None when empty."""
    return from_db_time(value) if value else None


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the bot."""


class Database:
    """One writer and one reader connection to the SQLite file at `path`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()

    async def open(self, *, migrate_to: int | None = None) -> None:
        """Open both connections, check the file and migrate the schema (to the latest, or
        `migrate_to`). A damaged, read-only or too new database raises here, before anything
        else starts; the file itself is never changed or "repaired".

        The file is created 0600 before SQLite opens it; SQLite gives its -wal and -shm the
        database's mode, and those of an older database are made 0600 here too.
        """
        self.path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        private_file(self.path)
        self._writer = await self._connect()
        try:
            await self._writer.execute("PRAGMA journal_mode = WAL")
            for suffix in ("-wal", "-shm"):
                tighten(Path(f"{self.path}{suffix}"))
            await self._check()
            await self.migrate(migrate_to)
            self._reader = await self._connect()
        except BaseException:
            await self.close()  # no connection thread outlives a failed open
            raise

    async def _check(self) -> None:
        """Refuse a damaged file (quick_check reads every page) and a file this process cannot
        write (BEGIN IMMEDIATE takes the write lock; nothing is written)."""
        async with self._w.execute("PRAGMA quick_check") as cursor:
            problems = [str(row[0]) for row in await cursor.fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError(f"database disk image is malformed: {problems[0]}")
        await self._w.execute("BEGIN IMMEDIATE")
        await self._w.execute("ROLLBACK")

    async def _connect(self) -> aiosqlite.Connection:
        # isolation_level=None: no implicit transactions; we say BEGIN and COMMIT ourselves.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            for pragma in (
                "foreign_keys = ON",
                f"busy_timeout = {BUSY_TIMEOUT_MS}",
                # Deleted personal data is overwritten with zeros, not left in free pages.
                "secure_delete = ON",
                "synchronous = NORMAL",
            ):
                await conn.execute(f"PRAGMA {pragma}")
        except BaseException:
            await conn.close()  # its thread would keep the process alive
            raise
        return conn

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("database is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Serialised write transaction; commits on success, rolls back on any exception."""
        async with self._lock:
            conn = self._w
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                # Shielded so that a second cancellation cannot leave the transaction open.
                await asyncio.shield(conn.execute("ROLLBACK"))
                raise
            else:
                await asyncio.shield(conn.execute("COMMIT"))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; returns the number of changed rows."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """One INSERT in its own transaction; returns the new rowid."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._read_lock, self._r.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._read_lock, self._r.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def data_version(self) -> int:
        """Changes whenever another connection, in any process, commits (SQLite's own counter)."""
        async with self._read_lock, self._r.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def user_version(self) -> int:
        async with self._w.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> None:
        """Apply forward migrations, each in its own transaction together with its version bump."""
        target = len(MIGRATIONS) if target is None else target
        current = await self.user_version()
        if current > len(MIGRATIONS):
            raise SchemaTooNew(
                f"database {self.path} has schema version {current}, newer than this code "
                f"({len(MIGRATIONS)}); refusing to run an older bot on it"
            )
        for version in range(current + 1, target + 1):
            async with self.transaction() as conn:
                for statement in MIGRATIONS[version - 1]:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {version}")
            log.info("database migrated to schema version %d", version)

    async def checkpoint(self) -> bool:
        """Fold the WAL into the main file and truncate it, so no old page image (of erased
        personal data, say) stays in `-wal`. False when a reader kept it from completing."""
        async with self._lock, self._w.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        complete = row is not None and row[0] == 0
        if not complete:
            log.warning("WAL checkpoint of %s did not complete (busy)", self.path.name)
        return complete
