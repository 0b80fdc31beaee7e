"""Files the bot writes are its user's only (0600, folders 0700) whatever the umask, and CLI
outputs never follow a symlink nor overwrite a file without --force."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main as cli
from bot.config import Config
from bot.delivery import InstanceLock
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from tests.advisers.helpers import adviser, config_file, say
from tests.harness import BotHarness


def cli_config(tmp_path: Path, config: Config) -> str:
    """The configuration file for the CLI, with its database as the bot's first start leaves
    it (the exports refuse a missing one)."""

    async def create() -> None:
        database = Database(config.storage.path)
        await database.open()
        await database.close()

    asyncio.run(create())
    return config_file(tmp_path, config)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual 022: without our own care, every file would be world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def test_database_wal_shm_and_lock_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "buurtwacht.sqlite3"
    db = Database(path)
    await db.open()
    lock = InstanceLock(path)
    try:
        await db.execute("INSERT INTO audit_log (at, action, outcome) VALUES ('x', 'y', 'ok')")
        assert lock.acquire()
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.lock")]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(path.parent) == 0o700  # created by the bot
    finally:
        lock.release()
        await db.close()


async def test_an_older_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = Database(path)
    await db.open()
    await db.close()
    for f in (path, Path(f"{path}-wal")):
        f.touch()
        f.chmod(0o644)
    db = Database(path)
    await db.open()
    try:
        assert mode(path) == mode(Path(f"{path}-wal")) == mode(Path(f"{path}-shm")) == 0o600
    finally:
        await db.close()


async def test_campaign_photos_are_private(emu: BotApiEmulator, bot: BotHarness) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede")
    await say(emu, eva, "/campaign")
    before = len(emu.sent(eva))
    emu.send_photo(eva, eva, caption="Doe de deur op slot")
    await emu.wait_sent(eva, before + 1)
    folder = Path(bot.config.storage.path).parent / "media"
    (photo,) = folder.iterdir()
    assert photo.read_bytes().startswith(b"\xff\xd8")
    assert (mode(folder), mode(photo)) == (0o700, 0o600)


def single_file_outputs(target: Path) -> list[list[str]]:
    """The commands that write one file the operator names (report writes a folder, below)."""
    ics = ["calendar", "show", "--from", "2027-01-01", "--to", "2027-01-31", "--format", "ics"]
    return [
        ["audit", "export", "--since", "2000-01-01", "--out", str(target)],
        [*ics, "--output", str(target)],
    ]


def test_cli_outputs_are_private_and_never_clobber(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cli_config(tmp_path, config)
    target = tmp_path / "export.out"
    for command in single_file_outputs(target):
        run = [*command, "--config", path]
        target.unlink(missing_ok=True)
        assert cli(run) == 0
        assert mode(target) == 0o600
        # An existing file is not overwritten without --force...
        target.write_text("keep me")
        assert cli(run) == 2
        assert "already exists" in capsys.readouterr().err
        assert target.read_text() == "keep me"
        # ... and is with it, becoming private.
        target.chmod(0o644)
        assert cli([*run, "--force"]) == 0
        assert target.read_text() != "keep me" and mode(target) == 0o600
        # A symlink is never followed, not even with --force.
        victim = tmp_path / "victim.txt"
        victim.write_text("precious")
        target.unlink()
        target.symlink_to(victim)
        for extra in ([], ["--force"]):
            assert cli([*run, *extra]) == 2
            assert "symbolic link" in capsys.readouterr().err
        assert victim.read_text() == "precious"
        target.unlink()


def test_report_folder_and_files_are_safe(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cli_config(tmp_path, config)
    out = tmp_path / "report"
    run = ["report", "--from", "2027-01-01", "--to", "2027-06-30", "--config", path, "--out"]
    assert cli([*run, str(out)]) == 0
    assert mode(out) == 0o700
    assert mode(out / "report.csv") == mode(out / "report.md") == 0o600
    assert cli([*run, str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli([*run, str(out), "--force"]) == 0
    link = tmp_path / "elsewhere"
    link.symlink_to(out)
    assert cli([*run, str(link), "--force"]) == 2
    assert "symbolic link" in capsys.readouterr().err


def test_cli_output_that_cannot_be_written_is_named_not_a_traceback(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in the folder, or a folder given as the file: one line saying why, exit 2."""
    path = cli_config(tmp_path, config)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for target in (tmp_path / "no-such-folder" / "export.out", folder):
        for command in single_file_outputs(target):
            assert cli([*command, "--config", path]) == 2
            err = capsys.readouterr().err
            assert str(target) in err and "cannot write" in err
    # report --out names a folder: a file in its place is refused the same way.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    run = ["report", "--from", "2027-01-01", "--to", "2027-06-30", "--config", path, "--out"]
    assert cli([*run, str(blocker / "report")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_read_only_exports_refuse_a_missing_database(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the wrong --config or working folder, `audit export` and `report` created an empty
    database there and exported nothing, with exit 0."""
    path = config_file(tmp_path, config)
    report = ["report", "--from", "2027-01-01", "--to", "2027-06-30", "--out", str(tmp_path)]
    for command in (["audit", "export", "--since", "2027-01-01"], report):
        assert cli([*command, "--config", path]) == 2
        assert "no database at" in capsys.readouterr().err
    assert not Path(config.storage.path).exists()
    assert not (tmp_path / "report.csv").exists()
