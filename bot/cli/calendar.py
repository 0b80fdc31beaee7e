"""`buurtwacht calendar ...`: check the calendar files, show a year, send an entry now, and
tailor the calendar per municipality (skip, replace, restore)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.advisers.agenda import calendar_items, ics_events, in_order
from bot.advisers.texts import scope_text
from bot.cli.common import add_output, open_database
from bot.config import Config, ConfigError, load_config, load_example_config
from bot.delivery import (
    InstanceLock,
    academic_overrides,
    build_bot,
    build_calendar_source,
    build_engine,
    build_limiter,
)
from bot.feedback.buttons import Buttons
from bot.files import UnsafeOutput, open_output
from bot.i18n import Catalogues
from bot.startup import report
from bot.storage import Database
from bot.storage.database import utcnow
from bot.storage.feedback import FeedbackStore
from bot.storage.outbox import OutboxStore
from bot.subscription import DEFAULT_TOPICS
from messages.content_rules import without_sources
from messages.loader import CALENDAR_DIR, Calendar, CalendarError, load_calendar
from messages.placeholders import unfilled
from messages.telegram_html import text_problems
from messages.validation import MAX_TEXT_LENGTH, check_calendar
from scheduler.ics import events_to_ics
from scheduler.moments import MomentResolver
from scheduler.occurrences import format_occurrence_line, occurrences_for_municipalities
from scheduler.planner import PlannedBroadcast
from scheduler.timing_rules import check_timing

# Five years at most: the occurrences are computed day by day, so a period of centuries would
# keep the command busy for hours.
MAX_SHOW_PERIOD = timedelta(days=5 * 366)


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("calendar", help="the year-round communication calendar")
    sub = parser.add_subparsers(dest="calendar_command", required=True)

    check = sub.add_parser(
        "check", help="validate every calendar file, its sources and the timing rules"
    )
    check.add_argument("--dir", type=Path, default=CALENDAR_DIR)
    check.add_argument(
        "--years",
        type=_years,
        help="years for the timing rules, e.g. 2027-2029 (default: this year and the next two)",
    )
    _config_arg(check)
    check.set_defaults(func=cmd_check)

    show = sub.add_parser("show", help="print the occurrences in a period")
    show.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    show.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    show.add_argument("--municipality", help="one municipality (slug or name); default all")
    show.add_argument("--locale", help="language of the titles and categories (ics)")
    show.add_argument("--format", choices=["text", "ics"], default="text")
    add_output(show, "--output", "file for --format ics (default stdout)")
    _config_arg(show)
    show.set_defaults(func=cmd_show)

    send = sub.add_parser("send", help="deliver an entry now, through the delivery engine")
    send.add_argument("entry_id")
    send.add_argument("--municipality", help="one municipality (slug or name); default all")
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


def _years(value: str) -> range:
    first, _, last = value.partition("-")
    try:
        years = range(int(first), int(last or first) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YEAR or YEAR-YEAR, got {value!r}") from None
    if not years:
        raise argparse.ArgumentTypeError(f"{value!r} is an empty range")
    return years


def _municipalities(config: Config, wanted: str | None) -> list[tuple[str, str]]:
    """(slug, school region) of the municipality given by slug or name (any case), or all."""
    slug = config.find_municipality(wanted) if wanted is not None else None
    if wanted is not None and slug is None:
        names = ", ".join(m.slug for m in config.municipalities)
        raise ConfigError([f"unknown municipality {wanted!r}; one of: {names}"])
    return [(m.slug, m.school_region) for m in config.municipalities if slug in (None, m.slug)]


def cmd_check(args: argparse.Namespace) -> int:
    """The files first; when they are valid, every entry's sources and the timing rules for
    every configured municipality and a subscriber with the default topics."""
    problems = [str(p) for p in check_calendar(args.dir)]
    if not problems:
        try:
            config = _load(args)
        except ConfigError as exc:
            print(exc)
            return 2
        calendar = load_calendar(args.dir)
        problems = [
            f"{entry.source.name} [{entry.id}]: sources is missing (where the facts come from)"
            for entry in without_sources(calendar.entries)
        ]
        this_year = date.today().year
        report = check_timing(
            calendar,
            MomentResolver(config.locale.tz, academic_overrides(config)),
            [(m.slug, m.school_region) for m in config.municipalities],
            DEFAULT_TOPICS,
            args.years or range(this_year, this_year + 3),
        )
        problems += [f"timing: {problem}" for problem in report.problems]
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("OK")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    if args.end < args.start:
        print(f"--from {args.start} is after --to {args.end}: nothing to show", file=sys.stderr)
        return 2
    if args.end - args.start > MAX_SHOW_PERIOD:
        print(f"--to must be at most {MAX_SHOW_PERIOD.days} days after --from", file=sys.stderr)
        return 2
    try:
        config = _load(args)
        calendar = load_calendar()
        munis = _municipalities(config, args.municipality)
    except (ConfigError, CalendarError) as exc:
        print(exc)
        return 2
    if args.format == "ics":
        return _write_ics(args, config, calendar, [slug for slug, _region in munis])
    resolver = MomentResolver(config.locale.tz, academic_overrides(config))
    found = occurrences_for_municipalities(calendar, args.start, args.end, munis, resolver)
    for occ in found:
        print(format_occurrence_line(occ, calendar.get(occ.entry_id)))
    print(f"{len(found)} occurrences")
    return 0


def _write_ics(
    args: argparse.Namespace, config: Config, calendar: Calendar, slugs: list[str]
) -> int:
    """The agenda file advisers get with /calendar ics: one event per moment."""
    locale = args.locale or config.locale.default
    if locale not in config.locale.available:
        print(f"--locale: one of {', '.join(config.locale.available)}", file=sys.stderr)
        return 2
    _ = Catalogues(config.locale.available, config.locale.default, config.locale.tz).get(locale)
    items = calendar_items(calendar, config, slugs, args.start, args.end, locale)
    events = ics_events(_, config, in_order(items))
    name = _("Buurtwacht – {scope}", scope=scope_text(_, config, slugs))
    data = events_to_ics(events, name, config.locale.tz, utcnow())
    if args.output:
        try:
            with open_output(args.output, force=args.force, binary=True) as out:
                out.write(data)
        except UnsafeOutput as exc:
            print(exc, file=sys.stderr)
            return 2
        print(f"wrote {len(events)} events to {args.output}")
    else:
        sys.stdout.buffer.write(data)
    return 0


def _load_for_entry(args: argparse.Namespace) -> Config | None:
    """Config for a command on one entry, after checking the entry, municipality and date;
    None (with the problem printed) when any is wrong."""
    try:
        config = _load(args)
        load_calendar().get(args.entry_id)
        chosen = _municipalities(config, args.municipality)
        if args.municipality is not None:
            args.municipality = chosen[0][0]  # the slug, also when a name was given
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
    try:
        return asyncio.run(send_now(config, token, args.entry_id, munis))
    except Exception as exc:  # one line, no traceback (and never the token)
        print(f"buurtwacht calendar send: {report(exc, config, [token])}", file=sys.stderr)
        return 1


async def send_now(config: Config, token: str, entry_id: str, municipalities: list[str]) -> int:
    """Materialise today's occurrence of an entry and, unless the bot runs, send it here.

    The key is the same as the scheduled occurrence's, so an entry sent by hand is not sent
    again at its planned moment that day, and running this twice sends nothing twice.
    """
    db = Database(config.storage.path)
    await db.open()
    outbox = OutboxStore(db)
    calendar = load_calendar()
    source = build_calendar_source(config, calendar, outbox)
    locale = config.locale
    i18n = Catalogues(locale.available, locale.default, locale.tz)
    # With the same 👍/👎 and share buttons as when the planner sends it.
    resolve = Buttons(config, i18n, FeedbackStore(db), calendar).resolver(source.resolve)
    limiter = build_limiter(config)
    bot = build_bot(token, config.telegram.base_url, limiter)
    lock = InstanceLock(config.storage.path)
    try:
        async with bot:
            engine = build_engine(config, outbox, bot, utcnow, limiter)
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
                resolved = await resolve(broadcast)
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
                problems = text_problems(text, MAX_TEXT_LENGTH)
                if left := unfilled(text):
                    problems.append(f"still to fill in: {', '.join(left)}")
                if problems:
                    print(f"--{locale}: " + "; ".join(problems))
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
