"""Request limits end to end: a resident's limits survive /forgetme without their id in clear,
and a municipality's caps per hour and per day hold with one notice to the admins per period."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.database import utcnow
from tests.advice.flow import fill_until_summary, press, say, submit
from tests.harness import BotHarness, make_config

REFUSED = "3 requests in the last 30 days"
CAPPED = "Very many requests for Enschede came in just now"


async def test_forgetme_does_not_reset_the_limits(emu: BotApiEmulator, bot: BotHarness) -> None:
    services = bot.services
    clock = [utcnow()]
    services.now = lambda: clock[0]
    fay = emu.add_user("Fay", language_code="en").id
    # Three requests in a minute, forgetting everything in between.
    for _ in range(3):
        await submit(emu, fay)
        await say(emu, fay, fay, "/forgetme")
        await press(emu, fay, fay, "Yes, delete my data")
        assert await services.advice.for_user(fay) == []
    assert REFUSED in (await say(emu, fay, fay, "/advice")).text

    marks = [row[0] for row in await services.db.fetchall("SELECT * FROM advice_limit_marks")]
    assert len(marks) == 3 and not [m for m in marks if str(fay) in m]
    # The window passes: the daily purge deletes the marks, and Fay may ask again.
    clock[0] += timedelta(days=30, seconds=1)
    assert await services.advice.purge_limit_marks(clock[0]) == 3
    assert "Why would you like" in (await say(emu, fay, fay, "/advice")).text


@pytest.fixture
async def capped(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[tuple[BotHarness, int]]:
    admin = emu.add_user("Bea", language_code="nl").id
    config = make_config(
        tmp_path,
        admins={"user_ids": [admin]},
        advice={"per_municipality_per_hour": 2, "per_municipality_per_day": 3},
    )
    async with BotHarness(emu, config) as harness:
        yield harness, admin


async def test_municipality_caps_per_hour_and_day(
    emu: BotApiEmulator, capped: tuple[BotHarness, int]
) -> None:
    bot, admin = capped
    await say(emu, admin, admin, "/start")  # a Dutch admin with a chat with the bot
    clock = [utcnow()]
    bot.services.now = lambda: clock[0]
    residents = [emu.add_user(name, language_code="en").id for name in "ABCDE"]
    for resident in residents[:2]:
        await submit(emu, resident)
    before = len(emu.sent(admin))

    # The third within the hour: refused, the draft kept, the admins told once (in Dutch).
    third = residents[2]
    await fill_until_summary(emu, third)
    await press(emu, third, third, "Confirm")
    reply = emu.last(third)
    assert CAPPED in reply.text and "Is everything correct?" in reply.text
    await fill_until_summary(emu, residents[3])
    await press(emu, residents[3], residents[3], "Confirm")
    assert CAPPED in emu.last(residents[3]).text
    (notice,) = emu.sent(admin)[before:]
    assert "Enschede heeft de grens van 2 adviesaanvragen in een uur bereikt" in notice.text

    # An hour later the kept draft goes through; the day's cap (3) then holds.
    clock[0] += timedelta(hours=1, seconds=1)
    await press(emu, third, third, "Confirm")
    assert "registered as" in emu.last(third).text
    await press(emu, residents[3], residents[3], "Confirm")
    assert CAPPED in emu.last(residents[3]).text
    await fill_until_summary(emu, residents[4])
    await press(emu, residents[4], residents[4], "Confirm")
    assert CAPPED in emu.last(residents[4]).text
    day_notice = emu.sent(admin)[before + 1 :]
    assert [m.text.split(".")[0] for m in day_notice] == [
        "Enschede heeft de grens van 3 adviesaanvragen in een dag bereikt"
    ]
    assert len(await bot.services.db.fetchall("SELECT id FROM advice_requests")) == 3
