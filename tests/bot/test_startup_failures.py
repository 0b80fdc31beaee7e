"""What stops a start is one line, exit 1, and nothing left running: `buurtwacht run` and
`buurtwacht calendar send` as real processes against the emulator.

Each case asserts the exit code, the one line naming the problem, no traceback, no token, and
that the process exits by itself (a hang fails the deadline). The single-sender lock is tested
through a symlink and a relative path to the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, build_services, serve
from bot.sandbox.emulator import BotApiEmulator
from bot.startup import describe
from bot.storage import Database
from bot.storage.migrations import MIGRATIONS
from tests.bot.test_run_command import write_config
from tests.harness import make_config

EXIT_DEADLINE = 30.0
SECRET = "s" * 40  # a webhook secret of a length every configuration check accepts


async def buurtwacht(
    *args: str, token: str, cwd: Path | None = None, **kwargs: Any
) -> tuple[int, str]:
    """Run `python -m bot ARGS` to its end; (exit code, output)."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PTB_TIMEDELTA": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        **kwargs,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), EXIT_DEADLINE)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode("utf-8", "replace")


def one_line(out: str, prefix: str, token: str) -> str:
    """The command's own line: exactly one, and no traceback or token anywhere."""
    assert "Traceback" not in out, out
    assert token not in out, out
    assert "still running" not in out, out
    lines = [line for line in out.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, out
    return lines[0]


def run_config(tmp_path: Path, emu: BotApiEmulator, **replace: str) -> Path:
    path = write_config(tmp_path, emu.base_url)
    text = path.read_text("utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, "utf-8")
    return path


def db_of(tmp_path: Path) -> Path:
    return tmp_path / "run.sqlite3"  # as write_config sets it


async def migrated(path: Path) -> None:
    db = Database(path)
    await db.open()
    await db.close()


async def corrupt_page(path: Path) -> None:
    """A valid database with garbage over one of its pages (a bad disk sector)."""
    await migrated(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    with path.open("r+b") as fh:
        fh.seek(page_size * 3)
        fh.write(b"\xff" * 200)


async def newer_schema(path: Path) -> None:
    await migrated(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()


async def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database, just some text. " * 200)


DAMAGED = "is damaged"
RESTORE = "Restore it from a backup"

CASES: list[tuple[str, Callable[[Path], Any], list[str]]] = [
    ("not-a-database", garbage, [DAMAGED, "file is not a database", RESTORE]),
    ("corrupt-page", corrupt_page, [DAMAGED, "malformed", RESTORE]),
    ("newer-schema", newer_schema, ["newer than this code", "schema version"]),
]


@pytest.mark.parametrize(("case", "prepare", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_run_refuses_a_bad_database_in_one_line(
    emu: BotApiEmulator,
    tmp_path: Path,
    case: str,
    prepare: Callable[[Path], Any],
    expected: list[str],
) -> None:
    config = run_config(tmp_path, emu)
    db = db_of(tmp_path)
    await prepare(db)
    before = db.read_bytes()
    code, out = await buurtwacht("run", "--config", str(config), token=emu.token)
    assert code == 1, out
    line = one_line(out, "buurtwacht run:", emu.token)
    assert str(db) in line
    for text in expected:
        assert text in line, line
    assert db.read_bytes() == before  # never overwritten or "repaired"
    assert emu.stats.requests["getUpdates"] == 0  # it never started polling


async def test_calendar_send_refuses_a_damaged_database_in_one_line(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = run_config(tmp_path, emu)
    await garbage(db_of(tmp_path))
    code, out = await buurtwacht(
        "calendar",
        "send",
        "advice-q1-what-is-pkvw",
        "--now",
        "--config",
        str(config),
        token=emu.token,
    )
    assert code == 1, out
    line = one_line(out, "buurtwacht calendar send:", emu.token)
    assert DAMAGED in line and RESTORE in line and str(db_of(tmp_path)) in line


@pytest.mark.parametrize("command", ["run", "calendar send"])
async def test_an_invalid_token_is_one_line_without_the_token(
    emu: BotApiEmulator, tmp_path: Path, command: str
) -> None:
    config = run_config(tmp_path, emu)
    wrong = "987654:THIS-TOKEN-IS-WRONG-AND-SECRET"
    args = ["run"] if command == "run" else ["calendar", "send", "advice-q1-what-is-pkvw", "--now"]
    code, out = await buurtwacht(*args, "--config", str(config), token=wrong)
    assert code == 1, out
    line = one_line(out, f"buurtwacht {command}:", wrong)
    assert "Telegram refused the bot token" in line and "TELEGRAM_BOT_TOKEN" in line
    assert "THIS-TOKEN" not in out


async def test_a_webhook_port_in_use_is_one_line_and_everything_stops(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = run_config(
            tmp_path,
            emu,
            **{
                'mode = "polling"': 'mode = "webhook"',
                "port = 8443": f"port = {port}",
                'url = ""': 'url = "https://bot.example.org/telegram"',
            },
        )
        code, out = await buurtwacht("run", "--config", str(config), token=emu.token)
    assert code == 1, out
    line = one_line(out, "buurtwacht run:", emu.token)
    assert f"webhook port {port} on 127.0.0.1 is in use" in line


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder unwritable for the test's own user. Root ignores permission bits,
    so as root the path is made immutable (chattr +i, as an operator's mistake or a read-only
    mount would make it); otherwise its write bits are removed."""
    mode = path.stat().st_mode
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(mode & ~0o222)
    try:
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


@pytest.mark.parametrize("what", ["file", "folder"])
async def test_a_read_only_database_is_one_line(
    emu: BotApiEmulator, tmp_path: Path, what: str
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    config = run_config(
        tmp_path, emu, **{f'path = "{db_of(tmp_path)}"': 'path = "data/db.sqlite3"'}
    )
    db = folder / "db.sqlite3"
    await migrated(db)
    with read_only(db if what == "file" else folder):
        code, out = await buurtwacht("run", "--config", str(config), token=emu.token, cwd=tmp_path)
    assert code == 1, out
    line = one_line(out, "buurtwacht run:", emu.token)
    assert str(db) in line, line
    if what == "file":
        assert "cannot be written" in line and "readonly database" in line, line
    else:  # the lock file beside the database cannot be created
        assert "db.sqlite3.lock" in line and ("not permitted" in line or "denied" in line), line


async def test_a_full_disk_at_start_stops_everything(emu: BotApiEmulator, tmp_path: Path) -> None:
    """In process, to see what is left running: the first start-up write fails as on a full
    disk (injected at the storage boundary, as in tests/delivery/test_engine_faults.py)."""
    from tests.delivery.test_engine_faults import DiskFullDatabase

    config = make_config(tmp_path)

    def sqlite_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if "connection_worker" in t.name]

    threads = sqlite_threads()
    db = DiskFullDatabase(config.storage.path)
    await db.open()
    app = build_application(build_services(config, db), emu.token, base_url=emu.base_url)
    db.full = True
    with pytest.raises(sqlite3.OperationalError) as failure:
        await serve(app, asyncio.Event())
    await db.close()
    line = describe(failure.value, config)
    assert line is not None and "the disk is full" in line
    assert not app.running and app.updater is not None and not app.updater.running
    services = app.bot_data["services"]
    assert services.engine._task is None  # the engine was stopped too
    assert app.job_queue is not None and not app.job_queue.scheduler.running
    # No aiosqlite thread left behind: a closed connection's thread ends on its own (it may
    # still be finishing right after close()); a leaked one would never end.
    for thread in set(sqlite_threads()) - set(threads):
        thread.join(timeout=10)
    assert [t for t in sqlite_threads() if t not in threads] == []


async def test_a_second_bot_on_the_same_file_refuses_through_a_symlink_and_a_relative_path(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    first = write_config(tmp_path, emu.base_url)
    db = db_of(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(first),
        env={**os.environ, "TELEGRAM_BOT_TOKEN": emu.token},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await emu.wait_for(lambda: emu.stats.requests["getUpdates"] > 0, timeout=30)
        other = tmp_path / "elsewhere"
        other.mkdir()
        (other / "link.sqlite3").symlink_to(db)
        for name, path, cwd in (
            ("symlink", str(other / "link.sqlite3"), None),
            ("relative", "../run.sqlite3", other),
        ):
            config = other / f"{name}.toml"
            text = first.read_text("utf-8").replace(f'path = "{db}"', f'path = "{path}"')
            config.write_text(text, "utf-8")
            code, out = await buurtwacht("run", "--config", str(config), token=emu.token, cwd=cwd)
            assert code == 1, (name, out)
            line = one_line(out, "buurtwacht run:", emu.token)
            assert "another Buurtwacht process holds" in line, (name, line)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), EXIT_DEADLINE)
    assert proc.returncode == 0
