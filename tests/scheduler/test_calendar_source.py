"""Resolving a due calendar broadcast into what one municipality's chats receive: the variant
without free advice, placeholders filled in and escaped, local entries only once written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import pytest

from messages import load_calendar
from scheduler.calendar_source import CalendarSource, Place
from scheduler.delivery import Content
from scheduler.moments import MomentResolver
from scheduler.planner import PlannedBroadcast

TZ = ZoneInfo("Europe/Amsterdam")
SEED = {
    "enschede": {2016: 792, 2017: 505, 2018: 402},
    "hellendoorn": {2016: 55, 2017: 54, 2018: 93},
}


@dataclass
class FakeOverride:
    action: Literal["skip", "replace"]
    texts: dict[str, str] | None


class FakeOverrides:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], FakeOverride] = {}

    async def override_for(
        self, municipality: str, entry_id: str, local_date: str
    ) -> FakeOverride | None:
        return self.by_key.get((municipality, entry_id))


class FakeFigures:
    def __init__(self, table: dict[str, dict[int, int]]) -> None:
        self.table = table
        self.asked: list[list[str]] = []

    async def per_year(self, municipalities: Iterable[str]) -> dict[int, int]:
        wanted = list(municipalities)
        self.asked.append(wanted)
        return dict(self.table.get(wanted[0], {}))


@pytest.fixture
def overrides() -> FakeOverrides:
    return FakeOverrides()


@pytest.fixture
def figures() -> FakeFigures:
    return FakeFigures(SEED)


@pytest.fixture
def source(overrides: FakeOverrides, figures: FakeFigures) -> CalendarSource:
    places = {
        "enschede": Place("Enschede"),
        "hellendoorn": Place("Hellendoorn"),
        "losser": Place("Losser", free_advice=False),
        "odd": Place('Sint-"A" & <B>'),
    }
    slugs = [(slug, "noord") for slug in places]
    return CalendarSource(
        load_calendar(), MomentResolver(TZ, {}), slugs, overrides, TZ, places, figures
    )


async def resolve(source: CalendarSource, entry_id: str, municipality: str) -> Content | str:
    broadcast = PlannedBroadcast(
        f"{entry_id}:2027-07-27:{municipality}",
        "calendar",
        entry_id,
        municipality,
        datetime(2027, 7, 27, 19, tzinfo=TZ),
    )
    resolved = await source.resolve(broadcast)
    return resolved if isinstance(resolved, str) else resolved[0]


async def test_free_advice_is_named_only_where_it_is_offered(source: CalendarSource) -> None:
    enschede = await resolve(source, "advice-q1-what-is-pkvw", "enschede")
    losser = await resolve(source, "advice-q1-what-is-pkvw", "losser")
    assert isinstance(enschede, Content) and isinstance(losser, Content)
    assert "In Enschede is dit advies gratis" in enschede.texts["nl"]
    assert "In Enschede this advice is free" in enschede.texts["en"]
    for text in losser.texts.values():
        assert "gratis" not in text and "free" not in text and "politiekeurmerk.nl" in text
    after = await resolve(source, "advice-after-burglary", "losser")
    assert isinstance(after, Content) and "gratis" not in after.texts["nl"]


async def test_figures_read_locally_everywhere(
    source: CalendarSource, figures: FakeFigures
) -> None:
    enschede = await resolve(source, "local-burglary-figures", "enschede")
    hellendoorn = await resolve(source, "local-burglary-figures", "hellendoorn")
    assert isinstance(enschede, Content) and isinstance(hellendoorn, Content)
    assert enschede.texts["nl"].startswith("<b>Inbraken in Enschede</b>")
    assert (
        "In 2018 waren er in Enschede 402 woninginbraken. In 2016 waren dat er 792."
        in (enschede.texts["nl"])
    )
    assert (
        "In 2018 there were 93 home burglaries in Hellendoorn. In 2016 there were 55."
        in (hellendoorn.texts["en"])
    )
    assert figures.asked == [["enschede"], ["hellendoorn"]]
    # Texts without figures do not ask for them.
    await resolve(source, "advice-q1-what-is-pkvw", "enschede")
    assert len(figures.asked) == 2


async def test_no_figures_means_not_sent(source: CalendarSource) -> None:
    assert await resolve(source, "local-burglary-figures", "losser") == (
        "no burglary figures of two years for losser"
    )


async def test_values_are_escaped(source: CalendarSource) -> None:
    content = await resolve(source, "neighbourhood-wijkschouw", "odd")
    assert isinstance(content, Content)
    assert "Sint-&quot;A&quot; &amp; &lt;B&gt;" in content.texts["nl"]
    assert "<B>" not in content.texts["nl"]


async def test_local_entry_waits_for_its_municipality(
    source: CalendarSource, overrides: FakeOverrides
) -> None:
    assert await resolve(source, "local-prevention-evening", "enschede") == (
        "local entry, not written yet by enschede"
    )
    text = (
        "<b>Preventieavond</b>\nDonderdag 11 november, 19:30, in de bibliotheek van {municipality}."
    )
    overrides.by_key[("enschede", "local-prevention-evening")] = FakeOverride(
        "replace", {"nl": text, "en": text}
    )
    content = await resolve(source, "local-prevention-evening", "enschede")
    assert isinstance(content, Content)
    assert content.texts["nl"].endswith("in de bibliotheek van Enschede.")
    # Only where it was written.
    assert await resolve(source, "local-prevention-evening", "hellendoorn") == (
        "local entry, not written yet by hellendoorn"
    )


async def test_a_replacement_with_parts_left_to_fill_in_is_not_sent(
    source: CalendarSource, overrides: FakeOverrides
) -> None:
    example = load_calendar().get("local-prevention-team").texts
    overrides.by_key[("enschede", "local-prevention-team")] = FakeOverride("replace", example)
    reason = await resolve(source, "local-prevention-team", "enschede")
    assert isinstance(reason, str) and reason.startswith("text for enschede still has [datum]")
    typo = "<b>Kom langs</b> in {gemeente}"
    overrides.by_key[("enschede", "advice-q2-certificate")] = FakeOverride(
        "replace", {"nl": typo, "en": typo}
    )
    assert await resolve(source, "advice-q2-certificate", "enschede") == (
        "text for enschede still has {gemeente} to fill in"
    )


async def test_a_partial_replacement_of_a_local_entry_keeps_it_unsent(
    source: CalendarSource, overrides: FakeOverrides
) -> None:
    # Dutch written, English still the example: nothing goes out, in no language.
    overrides.by_key[("enschede", "local-prevention-team")] = FakeOverride(
        "replace", {"nl": "<b>Preventieteam</b> op de markt, zaterdag 10-12 uur."}
    )
    reason = await resolve(source, "local-prevention-team", "enschede")
    assert isinstance(reason, str) and "[date]" in reason
