"""End-to-end harness: the real PTB Application, polling the sandbox Bot API emulator over HTTP.

`BotHarness.start()` runs the same `serve()` lifecycle as `buurtwacht run`; `restart()` stops it
and starts a fresh Application on the same database, as a process restart would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import build_application, build_services, serve
from bot.config import Config, parse_config
from bot.delivery import InstanceLock
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.handling import report_handling
from bot.services import BotApplication, Services
from bot.storage import Database
from scheduler.limiter import RateLimiter

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = 1e6
ADMIN_ID = 999001  # a bot admin in the test configuration, not a sandbox-created user


def make_config(tmp_path: Path, **sections: dict[str, Any]) -> Config:
    """The example configuration with a temporary database and per-test overrides per section."""
    raw = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    raw["storage"]["path"] = str(tmp_path / "buurtwacht.sqlite3")
    raw["admins"]["user_ids"] = [ADMIN_ID]
    # Tests run at any real moment: without this, a restart could catch up a real calendar
    # occurrence of the last hours into a test's chats. Delivery tests set it explicitly.
    raw["calendar"]["catch_up_hours"] = 0
    for name, values in sections.items():
        if isinstance(raw.get(name), dict):
            raw[name].update(values)
        else:
            raw[name] = values
    return parse_config(raw)


@dataclasses.dataclass
class BotHarness:
    emu: BotApiEmulator
    config: Config
    # Set to control "now" for the bot's domain logic from the very start (planner, engine).
    clock: Callable[[], datetime] | None = None
    # The bot's limiter (Telegram's limits); default: the configuration's, or none when the
    # emulator's limits are off.
    limiter: RateLimiter | None = None
    app: BotApplication | None = None
    db: Database | None = None
    _stop: asyncio.Event | None = None
    _task: asyncio.Task[None] | None = None
    _lock: InstanceLock | None = None

    @property
    def services(self) -> Services:
        assert self.app is not None
        services: Services = self.app.bot_data["services"]
        return services

    async def start(self) -> None:
        # As `buurtwacht run` does: the sender's lock first, then the database.
        self._lock = InstanceLock(self.config.storage.path).__enter__()
        try:
            await self._start()
        except BaseException:
            self._lock.release()
            self._lock = None
            raise

    async def _start(self) -> None:
        self.db = Database(self.config.storage.path)
        await self.db.open()
        services = build_services(self.config, self.db)
        if self.clock is not None:
            services.now = self.clock
        # Against an emulator without flood limits the bot paces nothing either, so that tests of
        # conversations need not wait a second per reply; tests of the limits switch them on.
        limiter = self.limiter
        if limiter is None and not self.emu.limits.enabled:
            limiter = RateLimiter(UNLIMITED, per_chat_interval=0, group_per_minute=int(UNLIMITED))
        self.app = build_application(
            services, self.emu.token, base_url=self.emu.base_url, limiter=limiter
        )
        report_handling(self.app, self.emu)
        self._stop, ready = asyncio.Event(), asyncio.Event()
        self._task = asyncio.create_task(serve(self.app, self._stop, ready))
        # Ready once polling runs (updates queue in the emulator until then), or serve() failed.
        waiter = asyncio.ensure_future(ready.wait())
        await asyncio.wait({self._task, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._task.done():
            self._task.result()
        assert ready.is_set(), "the bot did not start within 30 s"

    async def __aenter__(self) -> BotHarness:
        """`async with BotHarness(emu, config) as bot:` starts it and always stops it."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._stop is not None and self._task is not None:
            self._stop.set()
            await self._task
        if self.db is not None:
            await self.db.close()
        if self._lock is not None:
            self._lock.release()
        self.app = self.db = self._stop = self._task = self._lock = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


async def subscribed_residents(
    emu: BotApiEmulator, services: Services, count: int, municipality: str = "enschede"
) -> list[int]:
    """`count` Dutch residents with a private chat, subscribed to burglary tips (bulk set-up)."""
    chats = []
    for _ in range(count):
        user = emu.add_user("Resident").id
        emu.open_private_chat(user)
        await services.chats.ensure(user, "private", "nl")
        await services.chats.subscribe(
            user,
            municipality=municipality,
            neighbourhood=None,
            topics=frozenset({"burglary"}),
            locale="nl",
        )
        chats.append(user)
    return chats
