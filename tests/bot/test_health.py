"""The admins hear in Telegram, in their own language, when something needs a human: once when
it arises, once when it clears, and not again on every check or after a restart."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.metrics import EventWindow
from bot.operations import Operations, operations
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.advice import AdviceRequest, NewRequest
from scheduler.delivery import Audience, Content
from tests.harness import BotHarness, make_config, subscribed_residents


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t


class Monotonic:
    """Stands in for time.monotonic in the 10-minute windows."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def world(
    emu: BotApiEmulator, tmp_path: Path
) -> AsyncIterator[tuple[BotHarness, Clock, int, int]]:
    """A bot with two admins: the config's (Dutch) and a granted one (English)."""
    clock = Clock()
    dutch = emu.add_user("Ada", language_code="nl").id
    emu.open_private_chat(dutch)
    english = emu.add_user("Adam", language_code="en").id
    emu.open_private_chat(english)
    harness = BotHarness(emu, make_config(tmp_path, admins={"user_ids": [dutch]}), clock=clock)
    await harness.start()
    services = harness.services
    await services.chats.ensure(dutch, "private", "nl")
    await services.chats.ensure(english, "private", "en")
    await services.roles.grant(english, "admin", ["*"])
    try:
        yield harness, clock, dutch, english
    finally:
        await harness.stop()


def ops(harness: BotHarness) -> Operations:
    assert harness.app is not None
    return operations(harness.app)


async def tick(harness: BotHarness) -> None:
    assert harness.app is not None
    await ops(harness).tick(harness.app)


def texts(emu: BotApiEmulator, chat: int) -> list[str]:
    return [m.text or "" for m in emu.sent(chat)]


async def test_stalled_delivery_announced_once_then_resolved(
    emu: BotApiEmulator, world: tuple[BotHarness, Clock, int, int]
) -> None:
    harness, clock, dutch, english = world
    services = harness.services
    await subscribed_residents(emu, services, 1)
    await services.engine.stop()  # the sender is stuck
    await services.engine.materialize(
        "campaign:s",
        Content({"nl": "Tip"}),
        Audience(frozenset({"enschede"})),
        clock.t,
        source="campaign",
        ref="s",
    )
    clock.t += timedelta(minutes=14)
    await tick(harness)
    assert texts(emu, dutch) == []  # under the 15 minutes of [health] stalled_minutes

    clock.t += timedelta(minutes=2)
    await tick(harness)
    await tick(harness)  # still stalled: not announced again
    (nl,) = texts(emu, dutch)
    (en,) = texts(emu, english)
    assert nl.startswith("⚠️ Het versturen staat stil: 1 bericht") and "16 minuten" in nl
    assert en.startswith("⚠️ Delivery is stalled: 1 message is due") and "16 minutes" in en

    await harness.services.engine.drain()
    await tick(harness)
    assert texts(emu, dutch)[-1] == "✅ Opgelost: het versturen loopt weer."
    assert texts(emu, english)[-1] == "✅ Resolved: delivery is moving again."
    assert await ops(harness).store.raised() == {}


async def test_repeated_429s_and_database_errors(
    emu: BotApiEmulator, world: tuple[BotHarness, Clock, int, int]
) -> None:
    harness, _, dutch, english = world
    metrics = ops(harness).metrics
    monotonic = Monotonic()
    metrics.rate_limited_recent = EventWindow(monotonic)
    metrics.database_errors_recent = EventWindow(monotonic)

    metrics.telegram_error("rate_limited")
    metrics.telegram_error("rate_limited")
    await tick(harness)
    assert texts(emu, english) == []  # two are not "repeated" ([health] says 3)
    metrics.telegram_error("rate_limited")
    try:
        raise sqlite3.OperationalError("disk I/O error")
    except sqlite3.OperationalError:
        logging.getLogger("scheduler.delivery").exception("delivery loop failed")
    await tick(harness)
    await tick(harness)
    assert sorted(texts(emu, english)) == [
        "⚠️ Database errors: 1 in the last 10 minutes. Check the free disk space and the bot's log.",
        "⚠️ Telegram answered 'too many requests' 3 times in the last 10 minutes. Check that "
        "nothing else sends with this bot's token and that [delivery] stays within Telegram's "
        "limits.",
    ]
    assert any(t.startswith("⚠️ Telegram antwoordde 3 keer") for t in texts(emu, dutch))
    assert metrics.registry.get_sample_value("buurtwacht_database_errors_total") == 1

    monotonic.t += 601  # ten quiet minutes
    await tick(harness)
    assert sorted(texts(emu, english)[2:]) == [
        "✅ Resolved: Telegram no longer answers 'too many requests'.",
        "✅ Resolved: no database errors in the last 10 minutes.",
    ]


World = tuple[BotHarness, Clock, int, int]


async def test_a_silent_team(emu: BotApiEmulator, world: World) -> None:
    harness, clock, dutch, english = world
    services = harness.services
    team = emu.add_group("Preventieteam Hengelo", admins=[english]).id
    await emu.wait_sent(team, 1)
    await services.chats.ensure(team, "group", "nl")
    await services.teams.link(team, "hengelo")
    created = await services.advice.create(
        NewRequest(
            english, "en", "hengelo", "secure_home", "Adam", "7551 AB", "1", None, ("morning",)
        ),
        clock.t,
        clock.t.year,
    )
    assert isinstance(created, AdviceRequest)

    clock.t += timedelta(days=6, hours=23)
    await tick(harness)
    assert texts(emu, english) == []
    clock.t += timedelta(hours=2)
    await tick(harness)
    await tick(harness)
    assert texts(emu, english) == [
        "⚠️ The prevention team of Hengelo has claimed no request for 7 days, while a request "
        "has been waiting longer than that. Please contact the team."
    ]
    assert texts(emu, dutch)[0].startswith("⚠️ Het preventieteam van Hengelo heeft al 7 dagen")
    await harness.restart()  # the announcement is remembered, not repeated
    services = harness.services
    await tick(harness)
    assert len(texts(emu, english)) == 1

    await services.advice.transition(created.id, "claim", clock.t, by=english, by_name="Adam")
    await tick(harness)
    assert texts(emu, english)[-1] == (
        "✅ Resolved: nothing waits any more for the prevention team of Hengelo."
    )
