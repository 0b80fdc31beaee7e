"""Replies during a broadcast: residents send /start at the same moment while a broadcast goes
out, with Telegram's limits on in the emulator (30/s in total, 1/s per chat, 20/min per group).

    python bench/replies.py [--chats 2000] [--users 100] [--after 10]

The real Application as `buurtwacht run` builds it (handlers, persistence, the shared limiter,
the delivery engine; the example configuration: broadcasts at 25/s of Telegram's 30/s) against
the emulator in a process of its own (bench/fanout.py's EmulatorProcess). A broadcast to
`--chats` subscribed chats is written to the outbox; `--after` seconds into it `--users` new
residents send /start at once. A resident's answer time runs from just before their /start is
sent to the moment the emulator has the bot's answer (the emulator is asked with one waiting
control call per resident).

Targets (issue 9, section 5): 100 % answered, p95 answer time reported, 0 × 429 on broadcast
sends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot

from bench.fanout import (
    ENTRY,
    MUNICIPALITY,
    TOKEN,
    EmulatorProcess,
    StallMonitor,
    entry_texts,
    load_average,
)
from bot.aiohttp_request import AiohttpRequest
from bot.app import build_application, build_services, serve
from bot.sandbox import Limits
from bot.sandbox.client import SandboxClient
from bot.services import Services
from bot.storage import Database
from bot.storage.database import to_db_time, utcnow
from scheduler.delivery import Audience, Content
from tests.harness import make_config

WELCOME = "Buurtwacht"  # in the answer to /start, in every language


async def subscribe(db: Database, chats: list[tuple[int, str]]) -> None:
    now = to_db_time(utcnow())
    await db.executemany(
        "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, active, "
        "created_at, updated_at, subscribed_at) VALUES (?, ?, 'nl', ?, 'burglary', 1, 1, ?, ?, ?)",
        [(chat_id, kind, MUNICIPALITY, now, now, now) for chat_id, kind in chats],
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def bench(args: argparse.Namespace) -> int:
    load = os.getloadavg()
    emulator = EmulatorProcess(args.chats, Limits(enabled=True))  # Telegram's limits
    emulator.start()
    try:
        with tempfile.TemporaryDirectory(prefix="replies-") as tmp:
            config = make_config(Path(tmp))
            db = Database(config.storage.path)
            await db.open()
            try:
                await subscribe(db, emulator.chats)
                # The world's own updates (its residents opening their chats, the bot added to
                # its groups) are not what is measured: the bot starts without them.
                async with Bot(TOKEN, base_url=emulator.base_url, request=AiohttpRequest()) as b:
                    await b.delete_webhook(drop_pending_updates=True)
                services = build_services(config, db)
                app = build_application(services, TOKEN, base_url=emulator.base_url)
                stop, ready = asyncio.Event(), asyncio.Event()
                task = asyncio.create_task(serve(app, stop, ready))
                await ready.wait()
                try:
                    return await measure(args, emulator, services, load)
                finally:
                    stop.set()
                    await task
            finally:
                await db.close()
    finally:
        emulator.stop()


async def measure(
    args: argparse.Namespace, emulator: EmulatorProcess, services: Services, load: tuple[float, ...]
) -> int:
    engine, limiter = services.engine, services.engine.limiter
    stalls = StallMonitor()
    stalls.start()
    async with SandboxClient(emulator.control_url, connections=0) as client:
        users = [
            (await client.add_user(f"Inwoner {i}", language_code="nl"))["id"]
            for i in range(args.users)
        ]
        key = f"bench:replies:{ENTRY}"
        started = time.perf_counter()
        queued = await engine.materialize(
            key,
            Content(entry_texts()),
            Audience(frozenset({MUNICIPALITY}), topic="burglary"),
            services.now(),
            source="bench",
            ref=ENTRY,
        )
        await asyncio.sleep(args.after)
        before = await client.call("stats")
        broadcast_before = engine.stats.sent

        async def resident(user: int) -> float:
            t0 = time.perf_counter()
            await client.send_text(user, user, "/start")
            await client.wait_sent(user, 1, timeout=args.timeout)
            return time.perf_counter() - t0

        burst = time.perf_counter()
        outcomes = await asyncio.gather(*(resident(u) for u in users), return_exceptions=True)
        burst_s = time.perf_counter() - burst
        broadcast_during = engine.stats.sent - broadcast_before
        times = [t for t in outcomes if isinstance(t, float)]
        answers = [await client.sent(u) for u in users]
        while await services.outbox.pending_count(key):  # noqa: ASYNC110 - no event to wait for
            await asyncio.sleep(0.5)
        broadcast_s = time.perf_counter() - started
        after = await client.call("stats")
    stalls.stop()

    welcomed = sum(1 for a in answers if len(a) == 1 and WELCOME in (a[0].get("text") or ""))
    stats = limiter.stats
    print(
        f"replies during a broadcast: {args.users} residents send /start at once, "
        f"{args.after:g} s into a broadcast to {queued} chats; Telegram's limits on in the "
        "emulator (30/s, 1/s per chat, 20/min per group); broadcasts at "
        f"{services.config.delivery.global_per_second:g}/s"
    )
    print(load_average(load))
    print(f"answered            : {len(times)}/{args.users}, welcomed once: {welcomed}")
    if times:
        print(
            f"answer time s       : p50 {percentile(times, 0.5):.2f}  "
            f"p95 {percentile(times, 0.95):.2f}  max {max(times):.2f}  "
            f"mean {statistics.mean(times):.2f}  (all {args.users} answered within {burst_s:.2f})"
        )
    print(
        f"broadcast           : {engine.stats.sent} sent in {broadcast_s:.1f} s; "
        f"{broadcast_during} of them while the {args.users} answers went out"
    )
    print(
        f"429s                : broadcast sends {stats.bulk_rate_limited}, replies "
        f"{stats.interactive_rate_limited} (sent again: {stats.interactive_retries}, "
        f"given up: {stats.interactive_gave_up}); emulator total "
        f"{after['too_many_requests'] - before['too_many_requests']} during the burst, "
        f"{after['too_many_requests']} in all"
    )
    print(
        f"bot's event loop    : {stalls.over} stalls over 20 ms, worst {1000 * stalls.worst:.0f} ms"
    )
    ok = len(times) == welcomed == args.users and stats.bulk_rate_limited == 0
    print(f"targets             : {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=2_000, help="chats the broadcast goes to")
    parser.add_argument("--users", type=int, default=100, help="residents sending /start at once")
    parser.add_argument("--after", type=float, default=10.0, help="seconds into the broadcast")
    parser.add_argument("--timeout", type=float, default=120.0, help="longest wait per answer")
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
