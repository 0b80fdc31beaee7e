"""The storage layer: pragmas, migrations, transactions under concurrency and cancellation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.advisers.stats import subscribers
from bot.storage import Database
from bot.storage.chats import ChatStore
from bot.storage.migrations import MIGRATIONS


async def open_db(path: Path, **kwargs: int) -> Database:
    db = Database(path)
    await db.open(**kwargs)
    return db


async def test_pragmas(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "b.sqlite3")
    try:
        async with db.transaction() as conn:
            modes = []
            for pragma in ("journal_mode", "foreign_keys", "busy_timeout", "secure_delete"):
                cursor = await conn.execute(f"PRAGMA {pragma}")
                row = await cursor.fetchone()
                assert row is not None
                modes.append(row[0])
        assert modes == ["wal", 1, 5000, 1]
        assert await db.user_version() == len(MIGRATIONS)
    finally:
        await db.close()


async def test_upgrade_from_version_1_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = await open_db(path, migrate_to=1)
    assert await db.user_version() == 1
    # Raw SQL: today's ChatStore also writes tables of later versions (subscription_events).
    await db.execute(
        "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, "
        "created_at, updated_at) VALUES (42, 'private', 'en', 'borne', 'burglary', 1, "
        "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
    )
    await db.close()

    db = await open_db(path)
    try:
        assert await db.user_version() == len(MIGRATIONS)
        chat = await ChatStore(db).get(42)
        assert chat is not None
        assert (chat.municipality, chat.locale, chat.topics) == ("borne", "en", {"burglary"})
    finally:
        await db.close()


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = await open_db(path)
    await db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    await db.close()
    with pytest.raises(RuntimeError, match="newer than this code"):
        await open_db(path)


async def test_exception_rolls_back(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "r.sqlite3")
    chats = ChatStore(db)
    try:
        with pytest.raises(ValueError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO chats (chat_id, kind, locale, created_at, updated_at) "
                    "VALUES (1, 'private', 'nl', 'x', 'x')"
                )
                raise ValueError("boom")
        assert await chats.get(1) is None
    finally:
        await db.close()


async def test_cancellation_rolls_back_and_releases_the_writer(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "c.sqlite3")
    inside = asyncio.Event()
    never = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO chats (chat_id, kind, locale, created_at, updated_at) "
                "VALUES (2, 'private', 'nl', 'x', 'x')"
            )
            inside.set()
            await never.wait()

    try:
        task = asyncio.create_task(writer())
        await inside.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await ChatStore(db).get(2) is None
        # The lock is free again and the connection is not stuck in a transaction.
        await ChatStore(db).ensure(3, "private", "nl")
        assert await ChatStore(db).get(3) is not None
    finally:
        await db.close()


async def test_concurrent_transactions_do_not_interleave(tmp_path: Path) -> None:
    """Each task reads a counter and writes it back +1; interleaving would lose increments."""
    db = await open_db(tmp_path / "i.sqlite3")
    await db.execute("CREATE TABLE counter (n INTEGER)")
    await db.execute("INSERT INTO counter VALUES (0)")

    async def increment() -> None:
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT n FROM counter")
            row = await cursor.fetchone()
            assert row is not None
            await asyncio.sleep(0)  # yield inside the transaction: others must wait
            await conn.execute("UPDATE counter SET n = ?", (row[0] + 1,))

    try:
        await asyncio.gather(*(increment() for _ in range(50)))
        assert await db.fetchval("SELECT n FROM counter") == 50
    finally:
        await db.close()


async def test_executemany_bulk_insert(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "m.sqlite3")
    try:
        rows = [(i, "private", "nl", "t", "t") for i in range(1, 2001)]
        await db.executemany(
            "INSERT INTO chats (chat_id, kind, locale, created_at, updated_at) VALUES (?,?,?,?,?)",
            rows,
        )
        assert await db.fetchval("SELECT COUNT(*) FROM chats") == 2000
    finally:
        await db.close()


async def test_migrate_chat_id_is_idempotent(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "g.sqlite3")
    chats = ChatStore(db)
    try:
        await chats.ensure(-5, "group", "nl")
        assert await chats.migrate(-5, -1005) is True
        assert await chats.migrate(-5, -1005) is False
        assert await chats.get(-5) is None and await chats.get(-1005) is not None
    finally:
        await db.close()


async def test_upgrade_backfills_subscriber_history(tmp_path: Path) -> None:
    """Chats subscribed before the events table existed count from their subscription date."""
    path = tmp_path / "history.sqlite3"
    db = await open_db(path, migrate_to=4)
    await db.execute(
        "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, active, "
        "created_at, updated_at, subscribed_at) VALUES "
        "(1, 'private', 'nl', 'borne', 'burglary', 1, 1, '2027-01-01T00:00:00+00:00', "
        "'2027-01-01T00:00:00+00:00', '2027-03-01T00:00:00+00:00')"
    )
    await db.close()
    db = await open_db(path)
    try:
        recent = await subscribers(db, ["borne"], datetime(2027, 2, 15, tzinfo=UTC))
        assert (recent["borne"].private, recent["borne"].change) == (1, 1)
        later = datetime(2027, 3, 1, tzinfo=UTC) + timedelta(days=1)
        assert (await subscribers(db, ["borne"], later))["borne"].change == 0
    finally:
        await db.close()


async def test_upgrade_keeps_alerts_for_groups_that_had_them(tmp_path: Path) -> None:
    """Before alerts were a topic for groups every subscribed group got them: after the upgrade
    those groups have the topic on (and may switch it off); private chats keep their choice."""
    path = tmp_path / "alerts.sqlite3"
    db = await open_db(path, migrate_to=5)
    stamp = "'2027-01-01T00:00:00+00:00'"
    await db.execute(
        "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, active, "
        f"created_at, updated_at) VALUES (-1, 'group', 'nl', 'borne', 'burglary', 1, 1, {stamp}, "
        f"{stamp}), (2, 'private', 'nl', 'borne', 'burglary', 1, 1, {stamp}, {stamp})"
    )
    await db.close()
    db = await open_db(path)
    try:
        chats = ChatStore(db)
        group, private = await chats.get(-1), await chats.get(2)
        assert group is not None and group.topics == {"burglary", "alerts"}
        assert private is not None and private.topics == {"burglary"}
    finally:
        await db.close()
