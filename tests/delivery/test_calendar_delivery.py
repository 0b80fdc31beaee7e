"""Calendar messages reach subscribed chats at the right moment, once, in their language —
end to end through the planner, the engine, PTB and the emulator, with the clock moved by hand."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.emulator import BotApiEmulator
from messages.telegram_html import plain_text
from tests.harness import BotHarness, make_config

TZ = ZoneInfo("Europe/Amsterdam")
NEW_YEARS_EVE = "year-end-new-years-eve"  # topic "all", both audiences, 31 December 16:00


class Clock:
    """A settable "now" for the bot's domain logic."""

    def __init__(self, local: str) -> None:
        self.set(local)

    def set(self, local: str) -> None:
        self.t = datetime.fromisoformat(local).replace(tzinfo=TZ).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock("2026-12-31 12:00")


@pytest.fixture
async def harness(emu: BotApiEmulator, tmp_path: Path, clock: Clock) -> AsyncIterator[BotHarness]:
    # This module's clock is fake, so the real catch-up window is safe to use.
    async with BotHarness(
        emu, make_config(tmp_path, calendar={"catch_up_hours": 6}), clock=clock
    ) as h:
        yield h


async def subscriber(
    emu: BotApiEmulator,
    h: BotHarness,
    municipality: str,
    topics: set[str],
    *,
    locale: str = "nl",
    group: bool = False,
    neighbourhood: str | None = None,
) -> int:
    """A chat known to the emulator and subscribed in the database."""
    user = emu.add_user("Resident", language_code=locale)
    emu.open_private_chat(user.id)
    chat_id = user.id
    if group:
        chat_id = emu.add_group("Buurtpreventie", admins=[user.id]).id
        await emu.wait_sent(chat_id, 1)  # the bot's introduction
        INTRODUCED.add(chat_id)
    chats = h.services.chats
    await chats.ensure(chat_id, "group" if group else "private", locale)
    await chats.subscribe(
        chat_id,
        municipality=municipality,
        neighbourhood=neighbourhood,
        topics=frozenset(topics),
        locale=locale,
    )
    return chat_id


INTRODUCED: set[int] = set()


def received(emu: BotApiEmulator, chat_id: int) -> list[str]:
    """The texts of calendar messages a chat received (a group's introduction left out)."""
    sent = emu.sent(chat_id)
    return [m.text for m in (sent[1:] if chat_id in INTRODUCED else sent)]


async def deliver_due(h: BotHarness) -> None:
    """What the wake-up job does when it fires, then wait for the outbox to be sent."""
    await h.services.planner.run_due()
    await h.services.engine.drain()


async def test_entry_arrives_on_time_in_each_chats_language(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    group = await subscriber(emu, harness, "enschede", {"burglary"}, group=True)
    bram = await subscriber(emu, harness, "hengelo", {"holidays"})  # topic "all" reaches him
    entry = harness.services.calendar.get(NEW_YEARS_EVE)

    await harness.services.planner.plan()
    key = f"{NEW_YEARS_EVE}:2026-12-31:enschede"
    assert await harness.services.outbox.get_broadcast(key) == ("planned", None)
    assert f"due:{key}" in harness.services.planner.wakeup_ids()

    clock.set("2026-12-31 15:59")
    await deliver_due(harness)
    assert received(emu, anna) == [] and received(emu, group) == []

    clock.set("2026-12-31 16:00")
    await deliver_due(harness)
    assert received(emu, anna) == [plain_text(entry.texts["en"])]
    assert received(emu, group) == [plain_text(entry.texts["nl"])]
    assert received(emu, bram) == [plain_text(entry.texts["nl"])]
    assert emu.sent(anna)[0].parse_mode == "HTML"  # sent as HTML, tags parsed
    counts = await harness.services.outbox.counts(key)
    assert counts == {"sent": 2}

    # Sent at most once, ever: a restart and a re-plan change nothing.
    await harness.restart()
    clock.set("2026-12-31 16:30")
    await harness.services.planner.replan()
    await harness.services.engine.drain()
    assert len(received(emu, anna)) == 1 and len(received(emu, group)) == 1
    assert await harness.services.outbox.counts(key) == {"sent": 2}


async def test_topic_and_audience_pick_the_chats(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    # A holiday reminder (topic holidays) reaches only chats with that topic.
    holiday_entries = [e for e in harness.services.calendar.entries if e.topic == "holidays"]
    entry = holiday_entries[0]
    with_topic = await subscriber(emu, harness, "borne", {"holidays"})
    without = await subscriber(emu, harness, "borne", {"burglary", "students"})
    elsewhere = await subscriber(emu, harness, "losser", {"holidays"})
    now = clock()
    count = await harness.services.engine.materialize(
        *await _resolved(harness, entry.id, "borne", now), source="calendar", ref=entry.id
    )
    await harness.services.engine.drain()
    assert count == 1
    assert len(received(emu, with_topic)) == 1
    assert received(emu, without) == [] and received(emu, elsewhere) == []

    # An entry for groups only skips private chats.
    saar = next(e for e in harness.services.calendar.entries if e.audience == "groups")
    group = await subscriber(emu, harness, "borne", {saar.topic}, group=True)
    private = await subscriber(emu, harness, "borne", {saar.topic})
    await harness.services.engine.materialize(
        *await _resolved(harness, saar.id, "borne", now), source="calendar", ref=saar.id
    )
    await harness.services.engine.drain()
    assert len(received(emu, group)) == 1 and received(emu, private) == []


async def _resolved(
    h: BotHarness, entry_id: str, municipality: str, due: datetime
) -> tuple[str, object, object, datetime]:
    from scheduler.planner import PlannedBroadcast

    key = f"{entry_id}:{due.astimezone(TZ).date()}:{municipality}"
    broadcast = PlannedBroadcast(key, "calendar", entry_id, municipality, due)
    await h.services.outbox.plan([broadcast])
    resolve = h.services.planner.resolvers["calendar"]  # type: ignore[index]
    resolved = await resolve(broadcast)
    assert not isinstance(resolved, str), resolved
    content, audience = resolved
    return key, content, audience, due


@pytest.mark.parametrize(
    ("down_for", "delivered"),
    [
        (timedelta(hours=5, minutes=59), True),
        (timedelta(hours=6), True),
        (timedelta(hours=6, seconds=1), False),
        (timedelta(days=2), False),
    ],
)
async def test_catch_up_window_after_downtime(
    emu: BotApiEmulator,
    tmp_path: Path,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    down_for: timedelta,
    delivered: bool,
) -> None:
    h = BotHarness(emu, make_config(tmp_path, calendar={"catch_up_hours": 6}), clock=clock)
    clock.set("2026-12-31 10:00")
    await h.start()  # plans the 16:00 occurrence
    # A group: catching up after 21:00 would hold a private chat for quiet hours.
    chat = await subscriber(emu, h, "enschede", {"burglary"}, group=True)
    await h.stop()  # the bot is down at 16:00 ...
    clock.set("2026-12-31 16:00")
    clock.t += down_for
    caplog.set_level(logging.WARNING, logger="scheduler.planner")
    await h.start()  # ... and catches up (or not) at start-up
    try:
        await h.services.engine.drain()
        key = f"{NEW_YEARS_EVE}:2026-12-31:enschede"
        state, reason = await h.services.outbox.get_broadcast(key)  # type: ignore[misc]
        if delivered:
            assert state == "materialized" and len(received(emu, chat)) == 1
        else:
            assert state == "skipped" and received(emu, chat) == []
            assert reason is not None and "beyond the catch-up window of 6 h" in reason
            assert any(key in r.getMessage() for r in caplog.records)
    finally:
        await h.stop()


async def test_quiet_hours_hold_private_chats_not_groups(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    private = await subscriber(emu, harness, "almelo", {"burglary"})
    group = await subscriber(emu, harness, "almelo", {"burglary"}, group=True)
    entry = harness.services.calendar.get(NEW_YEARS_EVE)
    # Catching up at 22:30 (e.g. after a restart): the group now, the resident at 08:00.
    clock.set("2026-12-31 22:30")
    key = f"{entry.id}:2026-12-31:almelo"
    from scheduler.planner import PlannedBroadcast

    await harness.services.outbox.plan(
        [PlannedBroadcast(key, "calendar", entry.id, "almelo", clock() - timedelta(hours=1))]
    )
    await deliver_due(harness)
    assert len(received(emu, group)) == 1 and received(emu, private) == []
    assert await harness.services.outbox.counts(key) == {"sent": 1, "pending": 1}

    clock.set("2027-01-01 07:59")
    await harness.services.engine.drain()
    assert received(emu, private) == []
    clock.set("2027-01-01 08:00")
    await harness.services.engine.drain()
    assert len(received(emu, private)) == 1


async def test_local_skip_and_replace_for_one_municipality_only(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    outbox = harness.services.outbox
    enschede = await subscriber(emu, harness, "enschede", {"burglary"})
    hengelo = await subscriber(emu, harness, "hengelo", {"burglary"}, locale="en")
    losser = await subscriber(emu, harness, "losser", {"burglary"})
    await outbox.set_override("enschede", NEW_YEARS_EVE, "skip", local_date="2026-12-31")
    await outbox.set_override(
        "hengelo",
        NEW_YEARS_EVE,
        "replace",
        texts={"nl": "<b>Hengelo</b> zegt", "en": "<b>Hengelo</b> says"},
    )
    await harness.services.planner.plan()
    clock.set("2026-12-31 16:00")
    await deliver_due(harness)
    assert received(emu, enschede) == []
    skipped = await outbox.get_broadcast(f"{NEW_YEARS_EVE}:2026-12-31:enschede")
    assert skipped == ("skipped", "skipped by enschede")
    assert received(emu, hengelo) == ["Hengelo says"]
    entry = harness.services.calendar.get(NEW_YEARS_EVE)
    assert received(emu, losser) == [plain_text(entry.texts["nl"])]

    # Back to the default: the next year Enschede gets it again.
    assert await outbox.clear_override("enschede", NEW_YEARS_EVE, "2026-12-31")
    assert await outbox.override_for("enschede", NEW_YEARS_EVE, "2027-12-31") is None
