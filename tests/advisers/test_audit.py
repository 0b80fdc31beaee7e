"""The audit log under attack: a forged value cannot become a spreadsheet formula in the
export."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from bot.cli import main as cli
from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import config_file, forge, say
from tests.harness import BotHarness

FORMULA = '=HYPERLINK("https://evil.example/x","Klik")'


async def test_a_forged_target_is_neutralised_in_the_export(
    emu: BotApiEmulator, bot: BotHarness, config: Config, tmp_path: Path
) -> None:
    mallory = emu.add_user("Mallory", language_code="en").id
    await say(emu, mallory, "/start")
    answer = await forge(emu, mallory, mallory, f"rol:rv:{FORMULA}")
    assert "not allowed" in str(answer["text"])
    (entry,) = await bot.services.audit.latest()
    assert (entry.actor_id, entry.outcome, entry.target) == (mallory, "refused", FORMULA)

    out = tmp_path / "audit.csv"
    args = ["audit", "export", "--since", "2000-01-01", "--config", config_file(tmp_path, config)]
    assert await asyncio.to_thread(cli, [*args, "--out", str(out)]) == 0
    (row,) = csv.DictReader(out.open(encoding="utf-8"))
    assert row["target"] == "'" + FORMULA
    assert row["actor_id"] == str(mallory)
