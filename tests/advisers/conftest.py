"""Fixtures for the adviser and admin flows: a sandbox user who is a bootstrap admin."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from tests.harness import make_config


@pytest.fixture
def admin(emu: BotApiEmulator) -> int:
    """The first sandbox user; the configuration names them as admin."""
    return emu.add_user("Ada", language_code="en", username="ada").id


@pytest.fixture
def config(tmp_path: Path, admin: int) -> Config:
    return make_config(tmp_path, admins={"user_ids": [admin]})
