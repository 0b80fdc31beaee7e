"""`buurtwacht demo`: the real bot against the built-in Telegram emulator, with a terminal chat.

No token and no network: the emulator runs on 127.0.0.1, the database lives in a temporary folder,
and you play the residents, a neighbourhood group and a prevention team in turn. Anna is an admin
of the demo configuration, so the advisers' and admins' commands can be tried as well.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import tempfile
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import build_application, build_services, serve
from bot.config import Config, dashboard_extra_missing, example_config_text, parse_config
from bot.dashboard import login_url
from bot.logs import setup_logging
from bot.services import Services
from bot.storage import Database
from scheduler.occurrences import Occurrence, format_occurrence_line, occurrences

TEAM_MUNICIPALITY = "enschede"


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="try the bot locally, no token needed")
    parser.add_argument("--data-dir", type=Path, help="keep the database here (default: temp)")
    parser.add_argument("--log-level", default="WARNING")
    parser.set_defaults(func=demo)


def demo(args: argparse.Namespace) -> int:
    setup_logging(args.log_level)
    if args.data_dir:
        asyncio.run(run_demo(args.data_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="buurtwacht-demo-") as folder:
            asyncio.run(run_demo(Path(folder)))
    return 0


def demo_config(data_dir: Path, admin_id: int, dashboard_port: int | None = None) -> Config:
    """The shipped example configuration, with the demo's database and admin, and the
    dashboard on `dashboard_port` of this machine (plain http: nothing leaves 127.0.0.1)."""
    raw = tomllib.loads(example_config_text())
    raw["storage"]["path"] = str(data_dir / "buurtwacht.sqlite3")
    raw["admins"]["user_ids"] = [admin_id]
    # The team's number residents see with their request (Enschede's municipal 14 053), so the
    # demo shows it; the example configuration leaves it to each deployment.
    for municipality in raw["municipalities"]:
        if municipality["slug"] == TEAM_MUNICIPALITY:
            municipality["team_phone"] = "14 053"
    if dashboard_port is not None:
        raw["dashboard"] = {
            "enabled": True,
            "port": dashboard_port,
            "public_url": f"http://127.0.0.1:{dashboard_port}/dashboard",
        }
    return parse_config(raw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run_demo(data_dir: Path) -> None:
    from bot.sandbox.emulator import BotApiEmulator
    from bot.sandbox.handling import report_handling
    from bot.sandbox.terminal import build_demo_world, run_terminal

    emulator = BotApiEmulator()
    # Telegram tolerates short bursts of replies in a chat; the emulator's strict 1/s would make
    # typing fast feel broken. Flood limits are exercised by the tests and bench/fanout.py.
    emulator.limits.enabled = False
    await emulator.start()
    world = build_demo_world(emulator)
    anna = world.users[0]
    team_member = world.add_user(emulator, "Tess", language_code="nl")
    team_group = world.add_group(
        emulator, "Preventieteam Enschede", admins=[team_member.id], members=[anna.id]
    )
    # The dashboard comes along when its extra is installed (it is in `make demo`'s).
    with_dashboard = not dashboard_extra_missing()
    config = demo_config(data_dir, anna.id, free_port() if with_dashboard else None)
    db = Database(config.storage.path)
    await db.open()
    services = build_services(config, db)
    await services.teams.link(team_group.id, TEAM_MUNICIPALITY)
    app = build_application(services, emulator.token, base_url=emulator.base_url)
    report_handling(app, emulator)  # the terminal waits for each reply, also a held one
    stop = asyncio.Event()
    ready = asyncio.Event()
    bot_task = asyncio.create_task(serve(app, stop, ready))
    try:
        waiter = asyncio.ensure_future(ready.wait())
        await asyncio.wait({bot_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if bot_task.done():
            bot_task.result()
        print(
            "Buurtwacht demo: the bot runs against a local Telegram emulator; "
            f"data in {data_dir}.\n"
            f"Anna is an admin of this demo; '{team_group.title}' is the prevention team of "
            f"{TEAM_MUNICIPALITY}. Start with /start, or :help for the sandbox commands.\n"
            ":calendar lists the next calendar messages for the current chat; "
            ":deliver N sends number N now.\n"
            "A short wijkschouw: subscribe the group, then '/wijkschouw <date> 19:00 "
            "speeltuin'; ':location LAT LON', ':photo' and ':reply N text' do what a phone "
            "would (the README walks through it).\n"
            "The advice journey: Anna sends /advies, Tess claims and plans it in the team group "
            "(':as Tess', ':chat Preventieteam'); the bot's questions marked ↩ are answered "
            "with ':reply <text>'."
        )
        if with_dashboard:
            code = await services.dashboard.create_login(anna.id, services.now())
            print(
                f"Dashboard: open {login_url(config, code)} in your browser to log in as Anna "
                "(once, within 10 minutes; /dashboard in the chat gives a new link)."
            )
        else:
            print("The dashboard needs its extra: pip install 'buurtwacht[dashboard]'.")
        listed: list[Occurrence] = []

        def current_chat() -> int:
            return world.chat_id

        async def calendar_cmd(argv: list[str]) -> str:
            listed[:] = await upcoming(services, current_chat())
            if not listed:
                return "Subscribe this chat first (/start or /subscribe): I list its municipality."
            return "\n".join(
                f"[{i}] {format_occurrence_line(occ, services.calendar.get(occ.entry_id))}"
                for i, occ in enumerate(listed, 1)
            )

        async def deliver_cmd(argv: list[str]) -> str:
            if (
                not listed
                or not argv
                or not argv[0].isdigit()
                or not 0 < int(argv[0]) <= len(listed)
            ):
                return "Use :calendar first, then :deliver N with a number from that list."
            return await deliver_now(services, listed[int(argv[0]) - 1])

        await run_terminal(
            emulator,
            world=world,
            extra_commands={":calendar": calendar_cmd, ":deliver": deliver_cmd},
        )
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await bot_task
        await db.close()
        await emulator.stop()


async def upcoming(services: Services, chat_id: int, days: int = 45) -> list[Occurrence]:
    """The next calendar occurrences for a chat's municipality (its topics decide receipt)."""
    chat = await services.chats.get(chat_id)
    municipality = services.config.municipality(chat.municipality if chat else None)
    if municipality is None:
        return []
    from bot.delivery import academic_overrides
    from scheduler.moments import MomentResolver

    tz = services.config.locale.tz
    today = services.now().astimezone(tz).date()
    resolver = MomentResolver(tz, academic_overrides(services.config))
    found = occurrences(
        services.calendar,
        today,
        today + timedelta(days=days),
        municipality.slug,
        municipality.school_region,
        resolver,
    )
    return found[:15]


async def deliver_now(services: Services, occ: Occurrence) -> str:
    """Send an occurrence now through the engine (its key: it will not come again that day)."""
    from scheduler.planner import PlannedBroadcast

    broadcast = PlannedBroadcast(
        occ.key, "calendar", occ.entry_id, occ.municipality, services.now(), hold_quiet=False
    )
    if await services.outbox.get_broadcast(occ.key) not in (None, ("planned", None)):
        return f"{occ.key} was already delivered or skipped."
    await services.outbox.plan([broadcast])
    resolve = (services.planner.resolvers or {})["calendar"]
    resolved = await resolve(broadcast)
    if isinstance(resolved, str):
        await services.outbox.skip(occ.key, resolved)
        return f"not sent: {resolved}"
    content, audience = resolved
    count = await services.engine.materialize(
        occ.key, content, audience, services.now(), source="calendar", ref=occ.entry_id
    )
    return f"{count} chat(s) will receive {occ.entry_id} now (topic {audience.topic})."
