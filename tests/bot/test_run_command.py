"""`buurtwacht run` as operators start it: a real process, token from the environment, stopped
with SIGTERM; and a second process on the same database refuses to start."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from bot.sandbox.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, base_url: str) -> Path:
    text = (ROOT / "config.example.toml").read_text("utf-8")
    text = text.replace('path = "buurtwacht.sqlite3"', f'path = "{tmp_path / "run.sqlite3"}"')
    text = text.replace('base_url = ""', f'base_url = "{base_url}"')
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


async def start(config: Path, token: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        "--log-level",
        "INFO",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_run_serves_and_stops_cleanly(emu: BotApiEmulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, emu.base_url)
    proc = await start(config, emu.token)
    second = None
    try:
        await emu.wait_for(lambda: emu.stats.requests["getUpdates"] > 0, timeout=30)
        user = emu.add_user("Anna", language_code="en").id
        emu.send_text(user, user, "/start")
        (reply,) = await emu.wait_sent(user, 1, timeout=30)
        assert "Welcome to Buurtwacht" in reply.text

        second = await start(config, emu.token)
        out, _ = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 1 and b"another Buurtwacht process holds" in out
        assert b"Traceback" not in out

        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, out.decode()
        assert emu.token.encode() not in out  # the token never reaches the log
    finally:
        for p in (proc, second):
            if p is not None and p.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
                await p.wait()
