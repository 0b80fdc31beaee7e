"""Memory soak: many updates through the real Application, RSS of the bot sampled as it goes.

    python bench/soak.py [--updates 100000] [--users 2000] [--one-time 0.2] [--every 10000]
                         [--day 10000]

The emulator runs in a process of its own (bench/fanout.py's EmulatorProcess), so the RSS shown
is the bot's alone (and this script's control client). Regular users rotate through a mix of
what residents do (/start, /help, text the bot does not expect, /settings, /privacy); a share
of the updates (`--one-time`) comes from residents who write once and never come back, as after
a poster campaign: each new one sends /start, sees the municipality choice and leaves. The
emulator's limits are off and so is the bot's pacing, so that the soak measures memory, not
Telegram's 30 messages a second. The client sends a block of updates and waits until the bot
has handled it (the emulator has nothing unconfirmed or in flight, PTB's update queue is
empty) before it sends the next. Every `--day` updates a day passes for the bot's daily
clean-up of what one-time residents leave (`bot.teamwork.forget_abandoned`, which the 09:00 job
runs); `--day 0` never.

Each sample shows the RSS, the Python objects the garbage collector tracks, and what PTB and the
limiter keep per user or chat (user_data, chat_data, the limiter's per-chat maps); the end shows
the object types that grew most from the first sample to the last. To tell a leak from memory
that is merely not handed back, each sample also shows what SQLite itself holds
(`sqlite3_memory_used()`, page caches and statements of every connection), the database file's
size, and the RSS after glibc's `malloc_trim(0)` (which returns freed heap pages to the system;
it is called at every sample, so later samples start from a trimmed heap).
"""

from __future__ import annotations

import _sqlite3
import argparse
import asyncio
import ctypes
import gc
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout import TOKEN, EmulatorProcess, load_average
from bot.app import build_application, build_services, serve
from bot.sandbox import Limits
from bot.sandbox.client import SandboxClient
from bot.services import BotApplication
from bot.storage import Database
from bot.teamwork import forget_abandoned
from scheduler.limiter import RateLimiter
from tests.harness import make_config

TEXTS = ["/start", "/help", "hallo", "/privacy", "/settings", "wat kan je?"]
BLOCK = 500


@dataclass
class Sample:
    updates: int
    seconds: float
    rss_mb: float
    objects: int  # tracked by the garbage collector
    user_data: int
    chat_data: int
    limiter_chats: int
    sqlite_mb: float  # what SQLite has allocated, all connections together
    db_mb: float  # the database file
    trimmed_mb: float  # RSS after malloc_trim(0)


def _libraries() -> tuple[ctypes.CDLL | None, ctypes.CDLL | None]:
    """SQLite as Python's own module links it, and glibc; None where not available."""
    try:
        sqlite = ctypes.CDLL(_sqlite3.__file__)  # its symbols include the linked libsqlite3's
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    except (OSError, AttributeError):
        sqlite = None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        libc = None
    return sqlite, libc


SQLITE, LIBC = _libraries()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def object_types() -> Counter[str]:
    return Counter(type(o).__name__ for o in gc.get_objects())


def sample(
    app: BotApplication, limiter: RateLimiter, db_path: Path, updates: int, seconds: float
) -> Sample:
    gc.collect()
    rss = rss_mb()
    if LIBC is not None:
        LIBC.malloc_trim(0)
    return Sample(
        updates,
        seconds,
        rss,
        len(gc.get_objects()),
        len(app.user_data),
        len(app.chat_data),
        limiter.tracked_chats,
        SQLITE.sqlite3_memory_used() / 2**20 if SQLITE is not None else float("nan"),
        db_path.stat().st_size / 2**20,
        rss_mb(),
    )


async def soak(args: argparse.Namespace) -> tuple[list[Sample], Counter[str]]:
    emulator = EmulatorProcess(0, Limits(enabled=False))
    emulator.start()
    samples: list[Sample] = []
    try:
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            config = make_config(Path(tmp))
            db_path = Path(config.storage.path)
            db = Database(db_path)
            await db.open()
            unlimited = RateLimiter(1e6, per_chat_interval=0, group_per_minute=1_000_000)
            services = build_services(config, db)
            app = build_application(services, TOKEN, base_url=emulator.base_url, limiter=unlimited)
            stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(serve(app, stop, ready))
            await ready.wait()
            async with SandboxClient(emulator.control_url) as client:
                regulars = [
                    (await client.add_user(f"Bewoner {i}", language_code="nl"))["id"]
                    for i in range(args.users)
                ]
                every_new = round(1 / args.one_time) if args.one_time else 0
                t0 = time.perf_counter()
                samples.append(sample(app, unlimited, db_path, 0, 0.0))
                first_types = object_types()
                sent = newcomers = 0
                while sent < args.updates:
                    for _ in range(BLOCK):
                        if every_new and sent % every_new == 0:
                            newcomers += 1
                            new = await client.add_user(f"Nieuw {newcomers}", language_code="nl")
                            await client.send_text(new["id"], new["id"], "/start")
                        else:
                            user = regulars[sent % args.users]
                            text = TEXTS[(sent // args.users) % len(TEXTS)]
                            await client.send_text(user, user, text)
                        sent += 1
                    await settle(client, app)
                    if args.day and sent % args.day == 0:
                        forget_abandoned(app, services.now() + timedelta(days=1))
                    if sent % args.every == 0:
                        elapsed = time.perf_counter() - t0
                        samples.append(sample(app, unlimited, db_path, sent, elapsed))
                        print(row(samples[-1]), flush=True)
                        if args.trace and len(samples) == 2:
                            traced = tracemalloc.take_snapshot()
                if args.trace:
                    grew = tracemalloc.take_snapshot().compare_to(traced, "lineno")
                    print(f"allocation sites that grew most since {samples[1].updates} updates:")
                    for stat in grew[: args.trace]:
                        print(f"  {stat}")
                grown = object_types()
                grown.subtract(first_types)
            stop.set()
            await task
            await db.close()
    finally:
        emulator.stop()
    return samples, grown


async def settle(client: SandboxClient, app: BotApplication) -> None:
    """Until the bot has handled the block: the emulator has no update unconfirmed and nothing
    in flight, and PTB's queue of fetched updates is empty (confirmed is not handled: without
    this, the updates the bot had fetched but not handled yet were most of what "grew")."""
    await client.wait_idle(timeout=120)
    while not app.update_queue.empty():  # noqa: ASYNC110 - PTB offers no event for it
        await asyncio.sleep(0.05)
    await client.wait_idle(timeout=120)


def row(s: Sample) -> str:
    return (
        f"{s.updates:>8} updates {s.seconds:7.1f} s  RSS {s.rss_mb:6.1f} MB  "
        f"objects {s.objects:>8}  user_data {s.user_data:>6}  chat_data {s.chat_data:>6}  "
        f"limiter chats {s.limiter_chats:>6}  SQLite {s.sqlite_mb:5.1f} MB  "
        f"db file {s.db_mb:5.1f} MB  RSS trimmed {s.trimmed_mb:6.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=2_000, help="regular users, rotating")
    parser.add_argument(
        "--one-time", type=float, default=0.2, help="share of updates from one-time residents"
    )
    parser.add_argument("--every", type=int, default=10_000, help="updates between samples")
    parser.add_argument(
        "--day", type=int, default=10_000, help="updates per day of the daily clean-up (0: none)"
    )
    parser.add_argument(
        "--trace",
        type=int,
        default=0,
        help="trace allocations (slower) and show this many sites that grew most after the "
        "first sample",
    )
    args = parser.parse_args()
    if args.trace:
        tracemalloc.start()
    load = os.getloadavg()
    print(f"RSS at start: {rss_mb():.1f} MB")
    samples, grown = asyncio.run(soak(args))
    print(load_average(load))
    if len(samples) >= 3:
        first, mid, last = samples[1], samples[len(samples) // 2], samples[-1]
        print(
            f"RSS after {first.updates}: {first.rss_mb:.1f} MB, after {mid.updates}: "
            f"{mid.rss_mb:.1f} MB, end {last.rss_mb:.1f} MB; growth over the second half: "
            f"{last.rss_mb - mid.rss_mb:+.1f} MB, objects {last.objects - mid.objects:+d}"
        )
    print("object types that grew most:")
    for name, count in grown.most_common(12):
        print(f"  {name:<28} {count:+d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
