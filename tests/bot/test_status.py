"""`buurtwacht status`: what an operator (or a cron check) sees, from the database alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.advice import AdviceRequest, NewRequest
from bot.storage.database import utcnow
from scheduler.delivery import Audience, Content, Outcome
from tests.advisers.helpers import config_file
from tests.harness import BotHarness, make_config


async def status(*args: str) -> int:
    return await asyncio.to_thread(main, ["status", *args])


async def test_status_of_a_stopped_bot_that_needs_attention(
    emu: BotApiEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = config_file(tmp_path, make_config(tmp_path))
    text = Path(cli).read_text("utf-8")
    Path(cli).write_text(text.replace("failed_per_day = 20", "failed_per_day = 1"), "utf-8")
    config = load_config(cli)
    harness = BotHarness(emu, config)
    await harness.start()
    services = harness.services
    await services.engine.stop()  # what is materialised now stays pending
    for kind in ("private", "private", "group"):
        user = emu.add_user("Resident").id
        chat = emu.add_group("Buurt", admins=[user]).id if kind == "group" else user
        await services.chats.ensure(chat, kind, "nl")
        await services.chats.subscribe(
            chat,
            municipality="enschede",
            neighbourhood=None,
            topics=frozenset({"burglary"}),
            locale="nl",
        )
    now = utcnow()
    await services.outbox.materialize(
        "campaign:late",
        Content({"nl": "Tip"}),
        Audience(frozenset({"enschede"})),
        now - timedelta(minutes=20),
        None,
        source="campaign",
        ref="late",
    )
    await services.outbox.materialize(
        "campaign:old",
        Content({"nl": "Tip"}),
        Audience(frozenset({"enschede"})),
        now - timedelta(hours=2),
        None,
        source="campaign",
        ref="old",
    )
    rows = await services.db.fetchall(
        "SELECT id, chat_id FROM deliveries WHERE broadcast_key = 'campaign:old' ORDER BY id"
    )
    blocked, too_long = "Forbidden: bot was blocked by the user", "Message is too long"
    reasons = [blocked, too_long, too_long]
    await services.outbox.record(
        [
            Outcome(row["id"], row["chat_id"], "failed", reason)
            for row, reason in zip(rows, reasons, strict=True)
        ],
        now,
    )
    request = await services.advice.create(
        NewRequest(1, "nl", "enschede", "secure_home", "An", "7511 AB", "1", None, ("morning",)),
        now - timedelta(days=10),
        (now - timedelta(days=10)).year,
    )
    assert isinstance(request, AdviceRequest)
    await harness.stop()

    assert await status("--config", cli) == 1
    out = capsys.readouterr().out
    assert "bot             NOT running; last start " in out
    assert "subscriptions   3 active: 2 private chats, 1 group" in out
    assert (
        "pending         3: 3 due now, 0 held for later; the oldest due one has waited 20 min"
        in out
    )
    assert "failed (24 h)   3 (1 blocked or gone)" in out
    assert "\n                   2  Message is too long\n" in out
    assert "\n                   1  Forbidden: bot was blocked by the user\n" in out
    assert f"unclaimed for more than 2 working days: {request.reference}" in out
    assert "An" not in out.split()  # no personal data: references only
    attention = out.split("NEEDS ATTENTION:\n")[1].splitlines()
    assert attention == [
        "- the bot is not running",
        "- delivery stalled: a due delivery has waited more than 15 min",
        "- 2 deliveries failed in 24 h (more than 1)",
        "- 1 advice request waits for a team",
    ]

    assert await status("--config", cli, "--liveness") == 1
    assert capsys.readouterr().out == "not running\n"


async def test_status_of_a_running_bot_that_is_fine(
    emu: BotApiEmulator, bot: BotHarness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = config_file(tmp_path, bot.config)
    assert await status("--config", cli) == 0
    out = capsys.readouterr().out
    assert "bot             running (pid " in out and ", last heartbeat " in out
    assert "health          nothing raised" in out
    assert out.endswith("all well\n")
    assert await status("--config", cli, "--liveness") == 0
    assert capsys.readouterr().out.startswith("running, heartbeat ")


async def test_status_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = config_file(tmp_path, make_config(tmp_path / "nothing"))
    assert await status("--config", cli) == 1
    assert "no database at" in capsys.readouterr().out
    assert not (tmp_path / "nothing" / "buurtwacht.sqlite3").exists()
