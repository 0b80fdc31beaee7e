"""`buurtwacht status --config C`: how the bot is doing, from the database alone (the bot may
be stopped). Exit code 1 when something needs attention, for cron and monitoring checks:

- the bot is not running (no process holds `<db>.lock`);
- a due delivery has waited longer than `[health] stalled_minutes`;
- more than `[health] failed_per_day` deliveries failed in 24 hours, not counting chats that
  blocked the bot or are gone;
- an advice request has waited more than 2 working days to be claimed;
- a condition the running bot announced to the admins is still raised (429s, database errors,
  a silent team).

`--liveness` checks only that the bot runs and its heartbeat is fresh (the container
HEALTHCHECK): exit 0 or 1, one line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.advice.requests import REMIND_AFTER_WORKING_DAYS, waiting_too_long
from bot.cli.common import load_or_report, no_database, open_database
from bot.config import Config
from bot.delivery import InstanceLock
from bot.operations import HEARTBEAT_STALE_SECONDS
from bot.storage.advice import AdviceStore
from bot.storage.database import from_db_time, utcnow
from bot.storage.operations import OperationsStore


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="how the bot is doing; exit 1 if it needs you")
    parser.add_argument("--config", default="config.toml")
    parser.add_argument(
        "--liveness", action="store_true", help="only: is the bot running with a fresh heartbeat"
    )
    parser.set_defaults(func=cmd_status)


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)

    def add(self, label: str, text: str) -> None:
        self.lines.append(f"{label:<16}{text}")


def bot_running(config: Config) -> bool | None:
    """Whether a process holds the instance lock; None when the lock file cannot be opened."""
    lock = InstanceLock(config.storage.path)
    try:
        free = lock.acquire()
    except OSError:
        return None
    if free:
        lock.release()
    return not free


def is_churn(reason: str) -> bool:
    """Blocked, deactivated or deleted chats: normal, the chat is marked inactive."""
    lowered = reason.lower()
    return lowered.startswith("forbidden") or lowered == "chat not found"


def _ago(now: datetime, then: datetime) -> str:
    seconds = int((now - then).total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago" if seconds < 172800 else f"{seconds // 86400} days ago"


async def gather(config: Config, now: datetime) -> Report:
    tz = config.locale.tz
    report = Report()
    running = bot_running(config)

    def local(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    async with open_database(config.storage.path) as db:
        store = OperationsStore(db)
        state = await store.state()
        started = from_db_time(state["started_at"]) if "started_at" in state else None
        heartbeat = from_db_time(state["heartbeat_at"]) if "heartbeat_at" in state else None
        run = {True: "running", False: "NOT running", None: "unknown (lock not readable)"}
        text = run[running]
        if running and state.get("pid"):
            text += f" (pid {state['pid']}, version {state.get('version', '?')})"
        text += f"; last start {local(started)}" if started else "; never started"
        if heartbeat:
            text += f", last heartbeat {_ago(now, heartbeat)}"
        report.add("bot", text)
        if running is False:
            report.attention.append("the bot is not running")

        subscriptions = await store.subscriptions()
        report.add(
            "subscriptions",
            f"{sum(subscriptions.values())} active: "
            f"{counted(subscriptions.get('private', 0), 'private chat')}, "
            f"{counted(subscriptions.get('group', 0), 'group')}",
        )

        outbox = await store.outbox(now)
        pending = outbox.by_state.get("pending", 0)
        text = f"{pending}: {outbox.due} due now, {outbox.held} held for later"
        if outbox.oldest_due is not None:
            waited = now - outbox.oldest_due
            text += f"; the oldest due one has waited {int(waited.total_seconds() // 60)} min"
            if waited >= timedelta(minutes=config.health.stalled_minutes):
                report.attention.append(
                    f"delivery stalled: a due delivery has waited more than "
                    f"{config.health.stalled_minutes} min"
                )
        report.add("pending", text)

        failed = await store.failed_since(now - timedelta(days=1))
        churn = sum(n for reason, n in failed.items() if is_churn(reason))
        other = sum(failed.values()) - churn
        report.add("failed (24 h)", f"{sum(failed.values())} ({churn} blocked or gone)")
        for reason, n in failed.items():
            report.lines.append(f"{'':<16}{n:>4}  {reason or '(no reason)'}")
        if other > config.health.failed_per_day:
            report.attention.append(
                f"{other} deliveries failed in 24 h (more than {config.health.failed_per_day})"
            )

        today = now.astimezone(tz).date()
        late = [
            r
            for r in await AdviceStore(db).open_for([m.slug for m in config.municipalities])
            if waiting_too_long(r.status, r.created_at.astimezone(tz).date(), today)
        ]
        report.add(
            "advice",
            f"{counted(len(late), 'request')} unclaimed for more than {REMIND_AFTER_WORKING_DAYS} "
            "working days" + (": " + ", ".join(r.reference for r in late) if late else ""),
        )
        if late:
            waits = "waits" if len(late) == 1 else "wait"
            report.attention.append(f"{counted(len(late), 'advice request')} {waits} for a team")

        raised = await store.raised()
        report.add("health", "nothing raised" if not raised else f"{len(raised)} raised")
        for condition, (since, detail) in sorted(raised.items()):
            extra = f" ({detail})" if detail else ""
            report.lines.append(f"{'':<16}{condition}{extra} since {local(since)}")
            report.attention.append(f"raised by the bot: {condition}{extra}")
    return report


def counted(n: int, noun: str) -> str:
    """'1 group', '2 groups': the operator's output is English only (regular plurals)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


async def liveness(config: Config, now: datetime) -> tuple[bool, str]:
    if not bot_running(config):
        return False, "not running"
    async with open_database(config.storage.path) as db:
        value = (await OperationsStore(db).state()).get("heartbeat_at")
    if value is None:
        return False, "running, no heartbeat yet"
    age = (now - from_db_time(value)).total_seconds()
    fresh = age <= HEARTBEAT_STALE_SECONDS
    return fresh, f"running, heartbeat {int(age)} s ago" + ("" if fresh else " (stale)")


def cmd_status(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    if no_database(config, sys.stdout):
        return 1
    now = utcnow()
    if args.liveness:
        alive, text = asyncio.run(liveness(config, now))
        print(text)
        return 0 if alive else 1
    report = asyncio.run(gather(config, now))
    print(f"Buurtwacht status of {config.storage.path}")
    print("\n".join(report.lines))
    if report.attention:
        print("NEEDS ATTENTION:")
        print("\n".join(f"- {item}" for item in report.attention))
        return 1
    print("all well")
    return 0
