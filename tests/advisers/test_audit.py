"""The audit log under attack: a forged value cannot become a spreadsheet formula in the
export, and a flood of refusals cannot push the real entries out of /audit."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli import main as cli
from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from bot.storage.roles import FLOOD_ACTION, REFUSED_ROWS_PER_DAY, AuditLog
from bot.teamwork import purge_audit
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
    # The press gate (bot/handlers/presses.py) keeps only id-like characters of forged data.
    (entry,) = await bot.services.audit.latest()
    assert (entry.actor_id, entry.outcome) == (mallory, "refused")
    assert entry.target.startswith("rol:rv:") and "=" not in entry.target
    # Whatever else reaches the log as text, the export never lets it run as a formula.
    await bot.services.audit.record(
        mallory, "invite", FORMULA, outcome="refused", now=bot.services.now()
    )

    out = tmp_path / "audit.csv"
    args = ["audit", "export", "--since", "2000-01-01", "--config", config_file(tmp_path, config)]
    assert await asyncio.to_thread(cli, [*args, "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    (row,) = [r for r in rows if r["action"] == "invite"]
    assert row["target"] == "'" + FORMULA
    assert row["actor_id"] == str(mallory)


async def test_a_flood_of_refusals_does_not_push_out_the_real_entries(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    await say(emu, admin, "/invite adviser enschede")
    await say(emu, admin, "/invite adviser hengelo")
    mallory = emu.add_user("Mallory", language_code="en").id
    for _ in range(300):
        emu.send_text(mallory, mallory, "/invite adviser all")
    await emu.wait_sent(mallory, 300, timeout=120)
    assert all("not allowed" in (m.text or "") for m in emu.sent(mallory))

    (view,) = await say(emu, admin, "/audit")
    lines = (view.text or "").splitlines()
    assert len(lines) == 1 + 3  # the title, the flood as one line, the two real entries
    flood = next(line for line in lines if str(mallory) in line)
    assert "⛔" in flood and "invite" in flood and "300 times, the last at" in flood
    assert any(f"{admin} · invite adviser:enschede" in line for line in lines)
    assert any(f"{admin} · invite adviser:hengelo" in line for line in lines)
    assert await bot.services.db.fetchval("SELECT COUNT(*) FROM audit_log") == 3


async def test_each_user_gets_a_bounded_number_of_refusal_rows(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """Distinct forged targets cannot be collapsed; past the daily rows they are counted."""
    mallory = emu.add_user("Mallory", language_code="en").id
    await say(emu, mallory, "/start")
    for n in range(REFUSED_ROWS_PER_DAY + 10):
        await forge(emu, mallory, mallory, f"rol:rv:{n}:adviser")
    entries = await bot.services.audit.latest(100)
    assert len(entries) == REFUSED_ROWS_PER_DAY + 1
    (flood,) = [e for e in entries if e.action == FLOOD_ACTION]
    assert (flood.actor_id, flood.outcome, flood.count) == (mallory, "refused", 10)
    # Someone else's refusals still get their own rows.
    eve = emu.add_user("Eve", language_code="en").id
    await say(emu, eve, "/roles")
    assert (await bot.services.audit.latest(1))[0].actor_id == eve


async def test_repeats_collapse_only_within_the_window(tmp_path: Path) -> None:
    db = Database(tmp_path / "audit.sqlite3")
    await db.open()
    try:
        audit = AuditLog(db)
        t0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
        for minutes in (0, 30, 89):  # each within an hour of the previous repeat
            moment = t0 + timedelta(minutes=minutes)
            new_row = await audit.record(7, "invite", outcome="refused", now=moment)
            assert new_row is (minutes == 0)
        assert await audit.record(7, "invite", outcome="refused", now=t0 + timedelta(minutes=150))
        assert await audit.record(7, "invite", "other", outcome="refused", now=t0)
        assert await audit.record(7, "invite", outcome="ok", now=t0)
        assert await audit.record(7, "invite", outcome="ok", now=t0)  # done actions never collapse
        rows = [(e.target, e.outcome, e.count) for e in await audit.since(t0)]
        assert rows == [
            ("", "refused", 3),
            ("", "refused", 1),
            ("other", "refused", 1),
            ("", "ok", 1),
            ("", "ok", 1),
        ]
        (first, *_rest) = await audit.since(t0)
        assert first.at == t0 and first.last_at == t0 + timedelta(minutes=89)
    finally:
        await db.close()


async def test_audit_rows_expire_after_the_retention(emu: BotApiEmulator, bot: BotHarness) -> None:
    services = bot.services
    now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    keep = services.config.audit.retention_days
    await services.audit.record(1, "invite", now=now - timedelta(days=keep + 1))
    await services.audit.record(2, "invite", outcome="refused", now=now - timedelta(days=keep + 2))
    await services.audit.record(3, "roles", outcome="refused", now=now - timedelta(days=keep - 1))
    assert await purge_audit(services, now) == 2
    assert [e.actor_id for e in await services.audit.latest()] == [3]
