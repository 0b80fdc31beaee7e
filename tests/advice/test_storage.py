"""AdviceStore and TeamStore against a real SQLite file: references, limits under concurrency,
the state machine, erasing personal fields (down to the bytes in the file) and link codes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.advice.requests import LimitCheck
from bot.storage import Database
from bot.storage.advice import AdviceRequest, AdviceStore, NewRequest
from bot.storage.chats import ChatStore
from bot.storage.teams import TeamStore

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
NAME = "Wilhelmina Zwanenburg-Vrielink"


def new(user_id: int = 1, name: str = NAME, municipality: str = "enschede") -> NewRequest:
    return NewRequest(
        user_id=user_id,
        locale="nl",
        municipality=municipality,
        reason="burglary_home",
        name=name,
        postcode="7511 AB",
        house_number="12A",
        phone="+31612345678",
        moments=("morning", "saturday"),
    )


async def create(store: AdviceStore, request: NewRequest, now: datetime = NOW) -> AdviceRequest:
    created = await store.create(request, now, now.year)
    assert isinstance(created, AdviceRequest)
    return created


async def test_references_per_year_never_reused(db: Database) -> None:
    store = AdviceStore(db)
    first = await create(store, new(1))
    second = await create(store, new(2))
    assert (first.reference, second.reference) == ("PKVW-2026-0001", "PKVW-2026-0002")
    await db.execute("DELETE FROM advice_requests WHERE id = ?", (second.id,))
    assert (await create(store, new(3))).reference == "PKVW-2026-0003"
    next_year = NOW.replace(year=2027)
    assert (await create(store, new(4), next_year)).reference == "PKVW-2027-0001"


async def test_limits_hold_under_concurrent_confirmations(db: Database) -> None:
    store = AdviceStore(db)
    results = await asyncio.gather(*(store.create(new(7), NOW, 2026) for _ in range(5)))
    assert sum(isinstance(r, AdviceRequest) for r in results) == 1
    assert all(r.refused == "open" for r in results if isinstance(r, LimitCheck))


async def test_three_per_thirty_days(db: Database) -> None:
    store = AdviceStore(db)
    for days_ago in (20, 10, 5):
        request = await create(store, new(8), NOW - timedelta(days=days_ago))
        await store.transition(request.id, "not_possible", NOW, by=1, by_name="T", note="x")
    refused = await store.create(new(8), NOW, 2026)
    assert isinstance(refused, LimitCheck) and refused.refused == "window"
    assert refused.next_possible == NOW + timedelta(days=10)
    assert isinstance(await store.create(new(8), NOW + timedelta(days=11), 2026), AdviceRequest)


async def test_state_machine_and_race(db: Database) -> None:
    store = AdviceStore(db)
    request = await create(store, new())
    assert await store.transition(request.id, "done", NOW, by=5, by_name="Tess") is None
    claims = await asyncio.gather(
        store.transition(request.id, "claim", NOW, by=5, by_name="Tess"),
        store.transition(request.id, "claim", NOW, by=6, by_name="Piet"),
    )
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1 and winners[0].status == "claimed"
    moment = NOW + timedelta(days=3)
    planned = await store.transition(
        request.id, "plan", NOW, by=5, by_name="Tess", planned_for=moment
    )
    assert planned is not None and planned.planned_for == moment
    done = await store.transition(request.id, "done", NOW, by=6, by_name="Piet")
    assert done is not None and done.status == "done" and done.closed_by_name == "Piet"
    assert await store.transition(request.id, "not_possible", NOW, by=6, by_name="P") is None


async def test_forget_erases_and_leaves_no_bytes(db: Database) -> None:
    store, chats = AdviceStore(db), ChatStore(db)
    await chats.ensure(1, "private", "nl")
    open_request = await create(store, new(1))
    other = await create(store, new(2, name="Someone Else"))
    await db.checkpoint()
    assert NAME.encode() in db.path.read_bytes()

    erased = await store.forget_user(1, NOW)
    assert [e.after.id for e in erased] == [open_request.id]
    assert erased[0].before.name == NAME and erased[0].before.status == "new"
    after = erased[0].after
    assert after.erased_reason == "resident"
    assert after.status == "withdrawn" and after.erased
    assert (after.user_id, after.name, after.postcode, after.phone, after.moments) == (
        None,
        None,
        None,
        None,
        (),
    )
    assert (after.reference, after.municipality, after.reason) == (
        open_request.reference,
        "enschede",
        "burglary_home",
    )
    assert (await store.get(other.id)) == other  # nobody else is touched
    await db.checkpoint()
    data = db.path.read_bytes()
    assert NAME.encode() not in data and b"Someone Else" in data


async def test_retention_purges_only_old_closed_requests(db: Database) -> None:
    store = AdviceStore(db)
    old = await create(store, new(1))
    await store.transition(
        old.id, "not_possible", NOW - timedelta(days=91), by=1, by_name="T", note="moved"
    )
    recent = await create(store, new(2))
    await store.transition(
        recent.id, "not_possible", NOW - timedelta(days=89), by=1, by_name="T", note="x"
    )
    still_open = await create(store, new(3))
    purged = await store.purge_closed_before(NOW - timedelta(days=90), NOW)
    assert [e.after.id for e in purged] == [old.id]
    after = purged[0].after
    assert after.note is None and after.name is None and after.status == "not_possible"
    assert after.erased_reason == "retention"
    assert (await store.get(recent.id)).name == NAME  # type: ignore[union-attr]
    assert (await store.get(still_open.id)).name == NAME  # type: ignore[union-attr]
    assert await store.purge_closed_before(NOW - timedelta(days=90), NOW) == []


async def test_link_codes_work_once_and_expire(db: Database) -> None:
    teams = TeamStore(db)
    code = await teams.create_code("enschede", 99, NOW)
    assert len(code) == 11 and code[5] == "-"
    assert await teams.redeem("WRONG-CODE1", -100, NOW) == "unknown"
    assert await teams.redeem(code.lower().replace("-", " "), -100, NOW) == "enschede"
    assert await teams.redeem(code, -200, NOW) == "used"
    assert await teams.team_of("enschede") == -100
    late = await teams.create_code("borne", 99, NOW)
    assert await teams.redeem(late, -100, NOW + timedelta(hours=24)) == "expired"
    assert await teams.municipalities_of(-100) == ["enschede"]
    # Only hashes are stored.
    stored = await db.fetchall("SELECT code_hash FROM advice_link_codes")
    assert all(code.replace("-", "") not in row[0] for row in stored)


async def test_team_follows_group_migration(db: Database) -> None:
    teams, chats = TeamStore(db), ChatStore(db)
    await teams.link(-5, "enschede", NOW)
    await teams.link(-5, "losser", NOW)
    request = await create(AdviceStore(db), new())
    await AdviceStore(db).set_team_message(request.id, -5, 10)
    assert await chats.migrate(-5, -1000000000005)
    assert await teams.teams() == {-1000000000005: ["enschede", "losser"]}
    moved = await AdviceStore(db).get(request.id)
    assert moved is not None and moved.team_chat_id == -1000000000005
