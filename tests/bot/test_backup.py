"""`buurtwacht backup` while the bot broadcasts, `buurtwacht restore` after it stopped: nothing
is lost, nothing is overwritten, and every file written is private."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from bot.storage.migrations import MIGRATIONS
from scheduler.delivery import Audience, Content
from tests.advisers.helpers import config_file
from tests.delivery.test_photo_delivery import tiny_png
from tests.harness import BotHarness, make_config, subscribed_residents

N_CHATS = 60
KEY = "campaign:backup-test"


def states(db_path: Path) -> dict[int, str]:
    with closing(sqlite3.connect(db_path)) as conn:
        return dict(
            conn.execute(
                "SELECT chat_id, state FROM deliveries WHERE broadcast_key = ?", (KEY,)
            ).fetchall()
        )


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_backup_mid_broadcast_then_restore_loses_nothing(
    emu: BotApiEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 60 chats at 25 msg/s: the broadcast takes over two seconds, the backup milliseconds.
    config = make_config(tmp_path / "data")
    cli_config = config_file(tmp_path, config)
    harness = BotHarness(emu, config)
    await harness.start()
    services = harness.services
    media = config.storage.media_dir
    media.mkdir(parents=True)
    photo = tiny_png(media / "campaign-kept.png")
    chats = await subscribed_residents(emu, services, N_CHATS)
    await services.engine.materialize(
        KEY,
        Content({"nl": "Doe de deur op slot"}),
        Audience(frozenset({"enschede"})),
        services.now(),
        source="campaign",
        ref="backup-test",
    )

    await emu.wait_for(lambda: sum(len(emu.sent(c)) for c in chats) >= 15, timeout=30)
    assert (
        await asyncio.to_thread(main, ["backup", str(tmp_path / "backups"), "--config", cli_config])
        == 0
    )
    printed = capsys.readouterr().out
    (folder,) = (tmp_path / "backups").iterdir()
    assert f"backup written to {folder}" in printed and "media     1 file(s)" in printed
    snapshot = states(folder / "buurtwacht.sqlite3")
    assert len(snapshot) == N_CHATS  # the whole outbox, mid-way
    pending_then = {c for c, s in snapshot.items() if s == "pending"}
    assert pending_then and "sent" in snapshot.values()
    assert (folder / "media" / photo.name).read_bytes() == photo.read_bytes()
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["schema_version"] == len(MIGRATIONS) and manifest["media"] == [photo.name]
    assert mode(tmp_path / "backups") == 0o700 and mode(folder) == 0o700
    assert {mode(p) for p in folder.rglob("*") if p.is_file()} == {0o600}

    # The running bot holds its instance lock: a restore now is refused and changes nothing.
    assert await asyncio.to_thread(main, ["restore", str(folder), "--config", cli_config]) == 1
    assert "the bot is running" in capsys.readouterr().out
    await emu.wait_for(lambda: all(emu.sent(c) for c in chats), timeout=60)
    await services.engine.drain()  # every send marked
    assert set(states(Path(config.storage.path)).values()) == {"sent"}
    await harness.stop()
    photo.unlink()  # lost since the backup

    assert main(["restore", str(folder), "--config", cli_config]) == 0
    printed = capsys.readouterr().out
    db_path = Path(config.storage.path)
    kept = [p for p in db_path.parent.iterdir() if ".before-restore-" in p.name]
    assert {p.name.split(".before-restore-")[0] for p in kept} == {db_path.name, "media"}
    assert all(f"kept      {p}" in printed for p in kept)
    (old_db,) = (p for p in kept if p.name.startswith(db_path.name))
    assert set(states(old_db).values()) == {"sent"}  # the replaced database, untouched
    assert mode(db_path) == 0o600 and mode(media / photo.name) == 0o600
    assert photo.read_bytes() == (folder / "media" / photo.name).read_bytes()

    # The restored bot sends what was pending in the backup; every chat has the message.
    await harness.start()
    await harness.services.engine.drain()
    await harness.stop()
    assert set(states(db_path).values()) == {"sent"}
    assert all(emu.sent(c) for c in chats)
    twice = {c for c in chats if len(emu.sent(c)) == 2}
    assert twice == pending_then  # a restore goes back in time: only those rows again


async def test_restore_refuses_what_is_not_a_sound_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path / "data")
    cli_config = config_file(tmp_path, config)
    db = Database(config.storage.path)
    await db.open()
    await db.close()
    before = Path(config.storage.path).read_bytes()

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    newer = tmp_path / "newer.sqlite3"
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute("CREATE TABLE chats (chat_id INTEGER)")
        conn.execute("CREATE TABLE ptb_state (kind TEXT)")
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("PRAGMA user_version = 1")
    no_manifest = tmp_path / "folder"
    no_manifest.mkdir()

    for source, reason in (
        (garbage, "not a readable SQLite database"),
        (newer, "is newer than this bot"),
        (other, "not a Buurtwacht database"),
        (no_manifest, "no readable manifest.json"),
        (tmp_path / "missing", "no such database file"),
    ):
        assert main(["restore", str(source), "--config", cli_config]) == 1, source
        assert reason in capsys.readouterr().out
    assert Path(config.storage.path).read_bytes() == before
    assert not [p for p in Path(config.storage.path).parent.iterdir() if "restore" in p.name]


async def test_backup_of_a_missing_database_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_config = config_file(tmp_path, make_config(tmp_path / "data"))
    assert main(["backup", str(tmp_path / "b"), "--config", cli_config]) == 1
    assert "no such database file" in capsys.readouterr().out
    assert not os.path.exists(tmp_path / "data" / "buurtwacht.sqlite3")


async def test_backup_into_a_file_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A destination that is a file, or lies under one, ended in a traceback."""
    config = make_config(tmp_path / "data")
    database = Database(config.storage.path)
    await database.open()
    await database.close()
    cli_config = config_file(tmp_path, config)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["backup", str(blocker), "--config", cli_config]) == 1
    assert f"backup failed: {blocker} is a file, not a folder" in capsys.readouterr().out
    assert main(["backup", str(blocker / "below"), "--config", cli_config]) == 1
    assert "backup failed: cannot create" in capsys.readouterr().out
    assert blocker.read_text() == ""
