"""The wijkschouw's rows: one open walk per group, numbering under concurrency, no findings after
closing or beyond the limit, marks as conditional updates, and a group's move to a supergroup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Database
from bot.storage.chats import ChatStore
from bot.storage.inspections import InspectionStore, NewFinding, NewInspection
from bot.wijkschouw.model import MAX_FINDINGS

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
GROUP = -4242


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[InspectionStore]:
    db = Database(tmp_path / "db.sqlite3")
    await db.open()
    await ChatStore(db).ensure(GROUP, "group", "nl")
    try:
        yield InspectionStore(db)
    finally:
        await db.close()


def walk(chat: int = GROUP) -> NewInspection:
    return NewInspection(chat, "enschede", "Noord", NOW + timedelta(days=3), "school", 7)


def finding(inspection_id: int, reporter: int = 8) -> NewFinding:
    return NewFinding(inspection_id, reporter, "lighting", None, "Kerkstraat 1", None, None, None)


async def test_one_open_walk_per_group(store: InspectionStore) -> None:
    first = await store.create(walk(), NOW)
    assert first is not None and first.is_open and len(first.code) >= 12
    assert await store.create(walk(), NOW) is None
    assert await store.close(first.id, NOW) is not None
    assert await store.close(first.id, NOW) is None  # the second press loses
    second = await store.create(walk(), NOW)
    assert second is not None and second.code != first.code


async def test_numbers_closing_and_limit(store: InspectionStore) -> None:
    inspection = await store.create(walk(), NOW)
    assert inspection is not None
    saved = await asyncio.gather(
        *(store.add_finding(finding(inspection.id, r), NOW) for r in range(5))
    )
    assert sorted(f.number for f in saved if not isinstance(f, str)) == [1, 2, 3, 4, 5]
    await store.db.executemany(
        "INSERT INTO inspection_findings (inspection_id, number, category, created_at) "
        "VALUES (?, ?, 'other', '2026-10-01T12:00:00+00:00')",
        [(inspection.id, n) for n in range(6, MAX_FINDINGS + 1)],
    )
    assert await store.add_finding(finding(inspection.id), NOW) == "full"
    await store.close(inspection.id, NOW)
    assert await store.add_finding(finding(inspection.id), NOW) == "closed"


async def test_marks_are_conditional(store: InspectionStore) -> None:
    inspection = await store.create(walk(), NOW)
    assert inspection is not None
    added = await store.add_finding(finding(inspection.id), NOW)
    assert not isinstance(added, str)
    forwarded = await store.mark(added.id, "forwarded", "to the lighting team", NOW)
    assert forwarded is not None and forwarded.status == "forwarded"
    assert await store.mark(added.id, "forwarded", "again", NOW) is None
    solved = await store.mark(added.id, "solved", "works again", NOW)
    assert solved is not None and solved.status_reason == "works again"
    assert await store.mark(added.id, "not_ours", "too late", NOW) is None


async def test_walk_follows_a_supergroup_migration(store: InspectionStore) -> None:
    inspection = await store.create(walk(), NOW)
    assert inspection is not None
    await store.set_board(inspection.id, 555, 3)  # an adviser's chat the bot has no row for
    await store.set_board(inspection.id, 555, 4)  # a newer report replaces the board
    assert await ChatStore(store.db).migrate(GROUP, -1000000004242)
    moved = await store.get(inspection.id)
    assert moved is not None and moved.chat_id == -1000000004242
    assert await store.open_in(-1000000004242) is not None
    assert await store.boards(inspection.id) == [(555, 4)]
    assert await ChatStore(store.db).get(555) is None  # no chats row was made for the board
