"""Shared fixtures: the sandbox emulator, a database, and the bot running against it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from tests.harness import BotHarness, make_config

# RetryAfter.retry_after as a timedelta (the int form is deprecated since PTB 22.2).
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator()
    # Interactive flows answer in bursts; flood limits are exercised by the delivery tests.
    emulator.limits.enabled = False
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in the test's folder, for storage tests without a bot."""
    database = Database(tmp_path / "test.sqlite3")
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
async def bot(emu: BotApiEmulator, config: Config) -> AsyncIterator[BotHarness]:
    async with BotHarness(emu, config) as harness:
        yield harness
