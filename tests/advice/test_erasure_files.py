"""Erased means gone from the files: after /forgetme, a cancelled draft, the retention purge, a
stale draft and a revoked role, the raw bytes of the database file and its `-wal`, read while
the bot runs, hold no copy of the name or phone number."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.sandbox.emulator import BotApiEmulator
from bot.teamwork import run_daily
from tests.advice.flow import (
    NAME,
    closed_request,
    fill_until_summary,
    press,
    say,
)
from tests.harness import BotHarness

PHONE_DIGITS = b"612345678"


def on_disk(bot: BotHarness) -> bytes:
    """The database file and its write-ahead log, as a file-level backup would copy them."""
    assert bot.db is not None
    wal = Path(f"{bot.db.path}-wal")
    return bot.db.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def written(bot: BotHarness, secret: bytes) -> None:
    """PTB's persistence has written what it holds, and `secret` is on disk (the test's
    premise: without the erasure's checkpoint, a copy would stay)."""
    assert bot.app is not None
    await bot.app.update_persistence()
    assert secret in on_disk(bot)


async def test_forgetme(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    await fill_until_summary(emu, anna)
    await written(bot, NAME.encode())  # the draft, in ptb_state
    await press(emu, anna, anna, "Confirm")  # and now the request
    await say(emu, anna, anna, "/forgetme")
    await press(emu, anna, anna, "Yes, delete my data")
    raw = on_disk(bot)
    assert NAME.encode() not in raw and PHONE_DIGITS not in raw


async def test_cancelled_draft(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    await fill_until_summary(emu, anna)
    await written(bot, NAME.encode())
    assert "Nothing has been stored" in (await say(emu, anna, anna, "/cancel")).text
    raw = on_disk(bot)
    assert NAME.encode() not in raw and PHONE_DIGITS not in raw


async def test_retention_purge_and_stale_draft(emu: BotApiEmulator, bot: BotHarness) -> None:
    await closed_request(emu, bot)
    # Someone else leaves a draft with a name in it and never confirms.
    bert = emu.add_user("Bert", language_code="en").id
    await fill_until_summary(emu, bert, name="Bartholomeus Stroeve")
    await written(bot, b"Bartholomeus Stroeve")
    assert bot.app is not None
    await run_daily(bot.app, bot.services.now() + timedelta(days=91))
    raw = on_disk(bot)
    assert NAME.encode() not in raw and PHONE_DIGITS not in raw
    assert b"Bartholomeus Stroeve" not in raw and b"Piet" not in raw


async def test_revoked_role(emu: BotApiEmulator, bot: BotHarness) -> None:
    services = bot.services
    boss = emu.add_user("Bea", language_code="en").id
    await say(emu, boss, boss, "/help")
    await services.roles.grant(boss, "admin", ["*"], label="Bea")
    eva = emu.add_user("Eva", language_code="en").id
    await services.roles.grant(eva, "adviser", ["enschede"], label="Evelien Oude Vrielink")
    await written(bot, b"Evelien Oude Vrielink")
    question = await say(emu, boss, boss, "/revoke")
    await press(emu, boss, boss, "Evelien Oude Vrielink – Adviser", question)
    await press(emu, boss, boss, "Yes, revoke", question)
    assert await services.roles.of(eva) == {}
    assert b"Evelien Oude Vrielink" not in on_disk(bot)
