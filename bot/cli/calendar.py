"""`buurtwacht calendar ...`: check the calendar files, show a year, send an entry now, and
tailor the calendar per municipality (skip, replace, restore)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from telegram import Bot

from bot.cli.common import open_database
from bot.config import Config, ConfigError, load_config, load_example_config
from bot.delivery import InstanceLock, academic_overrides, build_calendar_source, build_engine
from bot.storage import Database
from bot.storage.database import utcnow
from bot.storage.outbox import OutboxStore
from messages.loader import CALENDAR_DIR, CalendarError, load_calendar
from messages.validation import check_calendar, html_problems, telegram_length
from scheduler.ics import occurrences_to_ics
from scheduler.moments import MomentResolver
from scheduler.occurrences import format_occurrence_line, occurrences_for_municipalities
from scheduler.planner import PlannedBroadcast


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("calendar", help="the year-round communication calendar")
    sub = parser.add_subparsers(dest="calendar_command", required=True)

    check = sub.add_parser("check", help="validate every calendar file")
    check.add_argument("--dir", type=Path, default=CALENDAR_DIR)
    check.set_defaults(func=cmd_check)

    show = sub.add_parser("show", help="print the occurrences in a period")
    show.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    show.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    show.add_argument("--municipality", help="one municipality (slug); default all")
    show.add_argument("--locale", default="nl")
    show.add_argument("--format", choices=["text", "ics"], default="text")
    show.add_argument("--output", type=Path, help="file for --format ics (default stdout)")
    _config_arg(show)
    show.set_defaults(func=cmd_show)

    send = sub.add_parser("send", help="deliver an entry now, through the delivery engine")
    send.add_argument("entry_id")
    send.add_argument("--municipality", help="one municipality (slug); default all")
    send.add_argument("--now", action="store_true", required=True, help="send immediately")
    _config_arg(send)
    send.set_defaults(func=cmd_send)

    for name, helptext in (
        ("skip", "skip an entry for a municipality (always, or on --date)"),
        ("replace", "replace an entry's text for a municipality"),
        ("restore", "back to the default for a municipality"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("entry_id")
        p.add_argument("--municipality", required=True)
        p.add_argument("--date", default="", help="only the occurrence on this local date")
        if name == "replace":
            p.add_argument("--nl", required=True, help="Dutch text (Telegram HTML)")
            p.add_argument("--en", required=True, help="English text (Telegram HTML)")
        _config_arg(p)
        p.set_defaults(func=cmd_override, action=name)

    listing = sub.add_parser("overrides", help="list the local overrides")
    listing.add_argument("--municipality")
    _config_arg(listing)
    listing.set_defaults(func=cmd_overrides)


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("config.toml"),
        help="configuration (default config.toml; the shipped example when that is missing)",
    )


def _load(args: argparse.Namespace) -> Config:
    path = args.config
    if not path.exists() and path == Path("config.toml"):
        print(f"note: {path} not found, using the example configuration", file=sys.stderr)
        return load_example_config()
    return load_config(path)


def _municipalities(config: Config, slug: str | None) -> list[tuple[str, str]]:
    chosen = [m for m in config.municipalities if slug in (None, m.slug)]
    if not chosen:
        raise ConfigError([f"unknown municipality {slug!r}"])
    return [(m.slug, m.school_region) for m in chosen]


def cmd_check(args: argparse.Namespace) -> int:
    problems = check_calendar(args.dir)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("OK")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    try:
        config = _load(args)
        calendar = load_calendar()
        munis = _municipalities(config, args.municipality)
    except (ConfigError, CalendarError) as exc:
        print(exc)
        return 2
    resolver = MomentResolver(config.locale.tz, academic_overrides(config))
    found = occurrences_for_municipalities(calendar, args.start, args.end, munis, resolver)
    if args.format == "ics":
        data = occurrences_to_ics(found, calendar, args.locale)
        if args.output:
            args.output.write_bytes(data)
            print(f"wrote {len(found)} events to {args.output}")
        else:
            sys.stdout.buffer.write(data)
        return 0
    for occ in found:
        print(format_occurrence_line(occ, calendar.get(occ.entry_id)))
    print(f"{len(found)} occurrences")
    return 0


def _load_for_entry(args: argparse.Namespace) -> Config | None:
    """Config for a command on one entry, after checking the entry, municipality and date;
    None (with the problem printed) when any is wrong."""
    try:
        config = _load(args)
        load_calendar().get(args.entry_id)
        _municipalities(config, args.municipality)
        if getattr(args, "date", ""):
            date.fromisoformat(args.date)
    except KeyError:
        print(f"unknown calendar entry {args.entry_id!r}")
    except ValueError:
        print(f"--date: expected YYYY-MM-DD, got {args.date!r}")
    except (ConfigError, CalendarError) as exc:
        print(exc)
    else:
        return config
    return None


def cmd_send(args: argparse.Namespace) -> int:
    config = _load_for_entry(args)
    if config is None:
        return 2
    try:
        token = config.token()
    except ConfigError as exc:
        print(exc)
        return 2
    munis = [slug for slug, _ in _municipalities(config, args.municipality)]
    return asyncio.run(send_now(config, token, args.entry_id, munis))


async def send_now(config: Config, token: str, entry_id: str, municipalities: list[str]) -> int:
    """Materialise today's occurrence of an entry and, unless the bot runs, send it here.

    The key is the same as the scheduled occurrence's, so an entry sent by hand is not sent
    again at its planned moment that day, and running this twice sends nothing twice.
    """
    db = Database(config.storage.path)
    await db.open()
    outbox = OutboxStore(db)
    source = build_calendar_source(config, load_calendar(), outbox)
    base_url = config.telegram.base_url or None
    bot = Bot(token, base_url=base_url or "https://api.telegram.org/bot")
    lock = InstanceLock(config.storage.path)
    try:
        async with bot:
            engine = build_engine(config, outbox, bot, utcnow)
            now = utcnow()
            today = now.astimezone(config.locale.tz).date().isoformat()
            for slug in municipalities:
                key = f"{entry_id}:{today}:{slug}"
                broadcast = PlannedBroadcast(key, "calendar", entry_id, slug, now, hold_quiet=False)
                state = await outbox.get_broadcast(key)
                if state is not None and state[0] == "materialized":
                    print(f"{key}: already queued or sent; resuming what is pending")
                    continue
                if state is not None and state[0] == "skipped":
                    await outbox.revive(key, now)
                await outbox.plan([broadcast])
                resolved = await source.resolve(broadcast)
                if isinstance(resolved, str):
                    await outbox.skip(key, resolved)
                    print(f"{key}: not sent: {resolved}")
                    continue
                content, audience = resolved
                count = await engine.materialize(
                    key, content, audience, now, None, source="calendar", ref=entry_id
                )
                print(f"{key}: {count} deliveries queued")
            if not lock.acquire():
                print("the running bot holds the database and will deliver them")
                return 0
            await engine.drain()
            stats = engine.stats
            print(f"sent {stats.sent}, failed {stats.failed}, skipped {stats.skipped}")
            pending = await outbox.pending_count()
            if pending:
                print(f"{pending} still pending (retries or quiet hours): the bot will send them")
    finally:
        lock.release()
        await db.close()
    return 0


def cmd_override(args: argparse.Namespace) -> int:
    config = _load_for_entry(args)
    return 2 if config is None else asyncio.run(_override(config, args))


async def _override(config: Config, args: argparse.Namespace) -> int:
    async with open_database(config.storage.path) as db:
        outbox = OutboxStore(db)
        if args.action == "restore":
            removed = await outbox.clear_override(args.municipality, args.entry_id, args.date)
            print("restored" if removed else "there was no override")
            return 0
        texts = None
        if args.action == "replace":
            texts = {"nl": args.nl, "en": args.en}
            for locale, text in texts.items():
                problems = html_problems(text)
                if problems or telegram_length(text) > 1024:
                    print(f"--{locale}: " + ("; ".join(problems) or "longer than 1024 characters"))
                    return 2
        await outbox.set_override(
            args.municipality, args.entry_id, args.action, local_date=args.date, texts=texts
        )
        print(f"{args.action}: {args.entry_id} for {args.municipality} {args.date or '(always)'}")
        return 0


def cmd_overrides(args: argparse.Namespace) -> int:
    try:
        config = _load(args)
    except ConfigError as exc:
        print(exc)
        return 2
    return asyncio.run(_list_overrides(config, args.municipality))


async def _list_overrides(config: Config, municipality: str | None) -> int:
    async with open_database(config.storage.path) as db:
        for slug, entry_id, override in await OutboxStore(db).overrides(municipality):
            when = override.local_date or "always"
            print(f"{slug:16} {entry_id:40} {override.action:8} {when}")
    return 0
