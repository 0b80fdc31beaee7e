"""Calendar texts made local when they are due, end to end: each municipality's own burglary
figures (shipped and imported), the text without free advice where it is not offered, and local
entries only where a municipality wrote them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.advisers.figures import Figure
from bot.sandbox.emulator import BotApiEmulator
from tests.delivery.test_calendar_delivery import Clock, deliver_due, received, subscriber
from tests.harness import BotHarness, make_config


@pytest.fixture
def clock() -> Clock:
    return Clock("2027-01-01 12:00")


@pytest.fixture
async def harness(emu: BotApiEmulator, tmp_path: Path, clock: Clock) -> AsyncIterator[BotHarness]:
    config = make_config(tmp_path, calendar={"catch_up_hours": 6})
    # Losser does not offer free advice in this deployment.
    config = replace(
        config,
        municipalities=[
            replace(m, free_advice=False) if m.slug == "losser" else m
            for m in config.municipalities
        ],
    )
    async with BotHarness(emu, config, clock=clock) as h:
        yield h


async def due(h: BotHarness, clock: Clock, local: str) -> None:
    clock.set(local)
    await h.services.planner.plan()
    await deliver_due(h)


async def test_each_municipality_reads_its_own_figures(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    enschede = await subscriber(emu, harness, "enschede", {"burglary"})
    hellendoorn = await subscriber(emu, harness, "hellendoorn", {"burglary"}, locale="en")
    clock.set("2027-07-20 12:00")
    await harness.services.planner.plan()
    # A newer figure imported after planning still counts: texts are made when due.
    await harness.services.figures.import_figures([Figure("enschede", 2025, 311)], clock())
    await due(harness, clock, "2027-07-27 19:00")  # fourth Tuesday of July

    (nl,) = received(emu, enschede)
    assert nl.startswith("Inbraken in Enschede\n")
    assert "In 2025 waren er in Enschede 311 woninginbraken. In 2016 waren dat er 792." in nl
    (en,) = received(emu, hellendoorn)
    assert "In 2018 there were 93 home burglaries in Hellendoorn. In 2016 there were 55." in en


async def test_free_advice_only_where_the_municipality_offers_it(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    enschede = await subscriber(emu, harness, "enschede", {"burglary"})
    losser = await subscriber(emu, harness, "losser", {"burglary"}, locale="en")
    await due(harness, clock, "2027-01-13 19:00")  # second Wednesday of January

    (nl,) = [t for t in received(emu, enschede) if t.startswith("Hoe veilig")]
    assert "In Enschede is dit advies gratis. Vraag het aan met /advies." in nl
    (en,) = [t for t in received(emu, losser) if t.startswith("How safe")]
    assert "free" not in en and "politiekeurmerk.nl" in en


async def test_a_local_entry_goes_only_where_it_was_written(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    enschede = await subscriber(emu, harness, "enschede", {"burglary"})
    hengelo = await subscriber(emu, harness, "hengelo", {"burglary"})
    text = (
        "<b>Preventieavond</b>\nDonderdag 11 november om 19:30 in het stadhuis van {municipality}."
    )
    await harness.services.outbox.set_override(
        "enschede",
        "local-prevention-evening",
        "replace",
        texts={"nl": text, "en": text},
    )
    await due(harness, clock, "2027-11-11 19:00")  # second Thursday of November

    evening = [t for t in received(emu, enschede) if t.startswith("Preventieavond")]
    assert evening == [
        "Preventieavond\nDonderdag 11 november om 19:30 in het stadhuis van Enschede."
    ]
    assert not [t for t in received(emu, hengelo) if "Preventie" in t or "[" in t]
    outbox = harness.services.outbox
    assert await outbox.get_broadcast("local-prevention-evening:2027-11-11:hengelo") == (
        "skipped",
        "local entry, not written yet by hengelo",
    )
