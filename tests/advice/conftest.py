"""Fixtures for the advice tests: a bot whose configured admin is a sandbox user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from tests.harness import BotHarness, make_config


@pytest.fixture
async def admin_bot(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[tuple[BotHarness, int]]:
    admin = emu.add_user("Admin", language_code="en").id
    async with BotHarness(emu, make_config(tmp_path, admins={"user_ids": [admin]})) as harness:
        yield harness, admin
