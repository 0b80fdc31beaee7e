"""Memory soak: many updates through the real Application, RSS of the bot sampled as it goes.

    python bench/soak.py [--updates 100000] [--users 2000] [--every 10000]

The emulator runs in a process of its own (bench/fanout.py's EmulatorProcess), so the RSS shown
is the bot's alone. Users rotate through a mix of what residents do (/start, /help, text the bot
does not expect, /settings, /privacy); the emulator's limits are off and so is the bot's pacing,
so that the soak measures memory, not Telegram's 30 messages a second. The bot confirms its
updates with getUpdates offsets; the client waits until the emulator has none pending before it
sends the next block, so at most one block is queued at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout import TOKEN, EmulatorProcess
from bot.app import build_application, build_services, serve
from bot.sandbox import Limits
from bot.sandbox.client import SandboxClient
from bot.storage import Database
from scheduler.limiter import RateLimiter
from tests.harness import make_config

TEXTS = ["/start", "/help", "hallo", "/privacy", "/settings", "wat kan je?"]
BLOCK = 500


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def soak(updates: int, users: int, every: int) -> list[tuple[int, float, float]]:
    emulator = EmulatorProcess(0, Limits(enabled=False))
    emulator.start()
    samples: list[tuple[int, float, float]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            config = make_config(Path(tmp))
            db = Database(config.storage.path)
            await db.open()
            unlimited = RateLimiter(1e6, per_chat_interval=0, group_per_minute=1_000_000)
            app = build_application(
                build_services(config, db), TOKEN, base_url=emulator.base_url, limiter=unlimited
            )
            stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(serve(app, stop, ready))
            await ready.wait()
            async with SandboxClient(emulator.control_url) as client:
                ids = [
                    (await client.add_user(f"Bewoner {i}", language_code="nl"))["id"]
                    for i in range(users)
                ]
                t0 = time.perf_counter()
                sent = 0
                while sent < updates:
                    for _ in range(BLOCK):
                        user = ids[sent % users]
                        await client.send_text(user, user, TEXTS[(sent // users) % len(TEXTS)])
                        sent += 1
                    await client.wait_idle(timeout=120)
                    if sent % every == 0:
                        samples.append((sent, time.perf_counter() - t0, rss_mb()))
                        print(f"{sent:>8} updates  {samples[-1][1]:7.1f} s  RSS {rss_mb():6.1f} MB")
            stop.set()
            await task
            await db.close()
    finally:
        emulator.stop()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--every", type=int, default=10_000)
    args = parser.parse_args()
    print(f"RSS at start: {rss_mb():.1f} MB")
    samples = asyncio.run(soak(args.updates, args.users, args.every))
    if len(samples) >= 3:
        first, mid, last = samples[0][2], samples[len(samples) // 2][2], samples[-1][2]
        print(f"RSS after {samples[0][0]}: {first:.1f} MB, middle {mid:.1f} MB, end {last:.1f} MB")
        print(f"growth over the second half: {last - mid:+.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
