"""Issue 10 points 5 and 6: no path that cannot succeed (no advice button and an answer at the
first step where the municipality has no free advice; an honest word where it has no team yet;
the subscribed municipality as the first guess), and after a burglary at home: the police and
victim support first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import (
    details_until_summary,
    labels,
    make_team,
    municipalities,
    press,
    say,
)
from tests.harness import BotHarness, make_config


@pytest.fixture
async def losser_bot(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    raw = municipalities(losser={"free_advice": False})
    async with BotHarness(emu, make_config(tmp_path, municipalities=raw)) as harness:
        yield harness


async def subscribe(emu: BotApiEmulator, user: int, municipality: str) -> None:
    await say(emu, user, user, "/start")
    await press(emu, user, user, municipality)
    if "Which neighbourhood" in emu.last(user).text:
        await press(emu, user, user, "Whole municipality")
    await press(emu, user, user, "Confirm")


async def test_no_free_advice_is_said_at_the_first_step(
    emu: BotApiEmulator, losser_bot: BotHarness
) -> None:
    lotte = emu.add_user("Lotte", language_code="en").id
    await subscribe(emu, lotte, "Losser")
    summary = emu.last(lotte)
    assert "You are subscribed" in summary.text and labels(summary) == []

    first = await say(emu, lotte, lotte, "/advice")
    assert "Losser does not offer free prevention advice" in first.text
    assert "politiekeurmerk.nl" in first.text and "Do you agree" not in first.text
    assert labels(first) == ["My home is in another municipality", "Cancel"]
    # Living elsewhere: the request goes on as usual.
    await press(emu, lotte, lotte, "My home is in another municipality", first)
    assert "Why would you like prevention advice?" in emu.last(lotte).text

    # Enschede residents still get the button.
    erik = emu.add_user("Erik", language_code="en").id
    await subscribe(emu, erik, "Enschede")
    assert labels(emu.last(erik)) == ["Request free prevention advice"]


async def test_no_team_yet_is_said_honestly(emu: BotApiEmulator, bot: BotHarness) -> None:
    await make_team(emu, bot)  # Enschede has a team, Hengelo has none
    sam = emu.add_user("Sam", language_code="en").id
    await say(emu, sam, sam, "/advice")
    await press(emu, sam, sam, "I want to secure my home")
    await press(emu, sam, sam, "I agree")
    summary = await details_until_summary(emu, sam, postcode="7551 AB")
    assert "not connected to this bot yet" in summary.text
    await press(emu, sam, sam, "Confirm")
    confirmation = emu.last(sam).text
    assert "the prevention team of Hengelo is not connected to this bot yet" in confirmation
    assert "usually within a few working days" not in confirmation

    # With a team: no such words.
    eva = emu.add_user("Eva", language_code="en").id
    await say(emu, eva, eva, "/advice")
    await press(emu, eva, eva, "I want to secure my home")
    await press(emu, eva, eva, "I agree")
    summary = await details_until_summary(emu, eva)
    assert "not connected" not in summary.text


async def test_subscribed_municipality_is_the_first_guess(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    olga = emu.add_user("Olga", language_code="en").id
    await subscribe(emu, olga, "Oldenzaal")
    await press(emu, olga, olga, "Request free prevention advice")
    await press(emu, olga, olga, "I want to secure my home")
    await press(emu, olga, olga, "I agree")
    outside = await say(emu, olga, olga, "7411 AA")  # not a PC4 area of Twente
    assert labels(outside)[0] == "Oldenzaal (your subscription)"
    await press(emu, olga, olga, "Oldenzaal (your subscription)", outside)
    assert "house number" in emu.last(olga).text


async def test_after_a_burglary_the_police_first(emu: BotApiEmulator, bot: BotHarness) -> None:
    bea = emu.add_user("Bea", language_code="en").id
    await say(emu, bea, bea, "/advice")
    await press(emu, bea, bea, "Recent burglary at my home")
    consent = emu.last(bea).text
    assert consent.startswith("First, after a burglary")
    assert "Call 112" in consent and "0900-8844" in consent
    assert "Slachtofferhulp Nederland" in consent and "0900-0101" in consent
    assert consent.index("0900-8844") < consent.index("Do you agree?")
    # Other reasons go straight to consent.
    ben = emu.add_user("Ben", language_code="en").id
    await say(emu, ben, ben, "/advice")
    await press(emu, ben, ben, "Burglary at a neighbour's")
    assert emu.last(ben).text.startswith("Before I store your request")
