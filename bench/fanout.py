"""Fan-out benchmark: one calendar entry to N chats through the real delivery engine.

    python bench/fanout.py [--chats 10000] [--ceiling 200] [--paid] [--phases engine,...]

Every phase runs in its own Python process (so peak RSS and CPU time are its own), with the Bot
API emulator (bot/sandbox) in a process of its own as well, on the other core; its CPU time is
read from /proc and shown apart, so the table shows the total, the emulator's share and the
difference: what the sending side costs. The emulator builds the chats and hands their ids over,
so the sending process holds only what a bot would.

Phases:
- engine: DeliveryEngine + OutboxStore (SQLite, the one-transaction INSERT..SELECT outbox) +
  TelegramSender + our RateLimiter at --ceiling msg/s, against the emulator with Telegram's limits
  scaled by the same factor (global = ceiling x 30/25, 1/s per chat, 20/min per group).
- aiorl: PTB's AIORateLimiter(overall_max_rate=ceiling, overall_time_period=1) on an ExtBot, the
  same text with the same concurrency as the engine's workers, same emulator limits.
- raw: a plain aiohttp client posting the same JSON body, no PTB, with the engine's concurrency,
  emulator limits off: how many messages a second the emulator itself can take.
- bare-seq / bare-conc: bot.send_message without any limiter, emulator limits off: sequential
  (the CPU floor) and with the engine's concurrency (the machine's capacity).
- bare-paced: the bare loop with the engine's concurrency and one timer per send at the
  ceiling: what pacing alone costs, the fair reference for a rate-limited sender.

`--http` picks PTB's HTTP layer for the PTB phases: `aiohttp` (bot/aiohttp_request.py, what the
bot uses) or `httpx` (PTB's own HTTPXRequest, for comparison).

Targets (issue 9, section 6): engine >= 0.97 x ceiling, 0 x 429, CPU per message (sending side)
<= 1.2 x the bare loop paced at the same ceiling.

Not part of the test suite; `make bench` runs it. AIORateLimiter needs `aiolimiter`
(`pip install "python-telegram-bot[rate-limiter]"`); without it that phase is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest
from bot.app import freeze_heap
from bot.delivery import TelegramSender
from bot.sandbox import BotApiEmulator, Limits
from bot.storage import Database
from bot.storage.database import to_db_time, utcnow
from bot.storage.outbox import OutboxStore
from messages.loader import load_calendar
from scheduler.delivery import Audience, Content, DeliveryEngine, workers_for
from scheduler.limiter import JITTER, RateLimiter

ENTRY = "advice-q1-what-is-pkvw"  # a real calendar entry: Telegram HTML, nl and en, no image
MUNICIPALITY = "enschede"
TELEGRAM_RATIO = 30 / 25  # Telegram's bulk limit over our default ceiling
PRIVATE_SHARE = 0.7
PHASES = ("engine", "aiorl", "raw", "bare-seq", "bare-conc", "bare-paced")
HTTP_LAYERS = ("aiohttp", "httpx")
RESULT_PREFIX = "RESULT "
TOKEN = BotApiEmulator().token
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclasses.dataclass
class Result:
    phase: str
    planned: int
    delivered: int
    seconds: float  # the send phase, wall clock
    ceiling: float | None  # msg/s the sender was configured for (None: unlimited)
    too_many_requests: int
    cpu_total_s: float  # process CPU over the send phase
    cpu_emulator_s: float  # of which the emulator thread
    peak_rss_mb: float
    materialize_s: float | None = None
    failed: int = 0
    note: str = ""
    # Event-loop stalls over JITTER (20 ms) and the worst one, in the sender and the emulator.
    stalls: tuple[int, int] = (0, 0)
    worst_stall_ms: tuple[float, float] = (0.0, 0.0)
    steal: float = 0.0  # share of the machine's CPU time the host took meanwhile

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    @property
    def ratio(self) -> float | None:
        return None if self.ceiling is None else self.rate / self.ceiling

    def per_message_ms(self, seconds: float) -> float:
        return 1000.0 * seconds / self.delivered if self.delivered else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self.per_message_ms(self.cpu_total_s)

    @property
    def emulator_ms(self) -> float:
        return self.per_message_ms(self.cpu_emulator_s)

    @property
    def sender_ms(self) -> float:
        return self.per_message_ms(self.cpu_total_s - self.cpu_emulator_s)


# --------------------------------------------------------------------------- the emulator


class EmulatorProcess:
    """The emulator in a process of its own (`--serve-emulator`), so that the sending side has
    a core to itself (at 1000 msg/s the two would not fit in one interpreter's GIL) and its CPU
    time is read apart from the sender's (/proc/PID/stat)."""

    def __init__(self, n: int, limits: Limits) -> None:
        self.n, self.limits = n, limits
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = self.control_url = ""
        self.chats: list[tuple[int, str]] = []  # (chat id, kind) of the world it built

    def start(self) -> None:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve-emulator",
            str(self.n),
            "--limits",
            json.dumps(dataclasses.asdict(self.limits)),
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline().split()[1])
        self.chats = [(int(c), str(k)) for c, k in json.loads(self.proc.stdout.readline())]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.control_url = f"http://127.0.0.1:{port}/control"

    def cpu(self) -> float:
        """CPU seconds the emulator process has used."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stats(self, action: str = "stats") -> dict[str, Any]:
        request = urllib.request.Request(f"{self.control_url}/{action}", data=b"{}", method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.load(response)["result"]
        return result

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def pooled(concurrency: int, http: str) -> BaseRequest:
    """One keep-alive connection per concurrent send: PTB's default for a plain Bot is a pool
    of one, where every request queues."""
    if http == "httpx":
        return HTTPXRequest(connection_pool_size=concurrency)
    return AiohttpRequest(connection_pool_size=concurrency)


def serve_emulator(n: int, limits: Limits) -> None:
    """The child side of EmulatorProcess: build the world, print the port, serve.

    The referee must not pause: a garbage collection over the world and the messages it keeps
    (60-250 ms measured at 20,000 chats) queues the requests that arrive meanwhile and then
    counts them within a few milliseconds, a burst the sender never made, answered with 429s.
    Reference counting frees nearly everything; the cyclic collector is off for its short life.
    """
    gc.disable()

    async def main() -> None:
        emu, chats = build_world(n, limits)
        stalls = StallMonitor()
        emu.add_control("stalls", stalls.summary)
        stalls.start()
        await emu.start()
        print(f"PORT {emu.port}", flush=True)
        print(json.dumps(chats), flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def build_world(n: int, limits: Limits) -> tuple[BotApiEmulator, list[tuple[int, str]]]:
    """N chats in the emulator: 70 % private chats that started the bot, 30 % groups."""
    emu = BotApiEmulator(limits=limits)
    n_private = round(n * PRIVATE_SHARE)
    chats: list[tuple[int, str]] = []
    for i in range(n_private):
        user = emu.add_user(f"Bewoner {i}", language_code="nl" if i % 4 else "en")
        emu.send_text(user.id, user.id, "/start")  # opens the private chat
        chats.append((user.id, "private"))
    admin = emu.add_user("Beheerder")
    for i in range(n - n_private):
        chats.append((emu.add_group(f"Buurtapp {i}", admins=[admin.id]).id, "group"))
    return emu, chats


def scaled_limits(ceiling: float, paid: bool = False) -> Limits:
    """Telegram's limits; unpaid, the global one scaled with the ceiling (30/s over our 25/s);
    paid, Telegram's own 1000/s for paid broadcasts, unscaled."""
    if paid:
        return Limits(enabled=True, paid_per_second=1000.0)
    return Limits(
        enabled=True,
        global_per_second=ceiling * TELEGRAM_RATIO,
        per_chat_per_second=1.0,
        per_group_per_minute=20,
    )


def entry_texts() -> dict[str, str]:
    return dict(load_calendar().get(ENTRY).texts)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class StallMonitor:
    """How late a 5 ms timer fires in this process's event loop. A stall longer than the
    limiter's margin (JITTER, 20 ms: 20 sends at 1000/s) on either side can make sends arrive
    closer together than they left, which the emulator's sliding window answers with 429s: on a
    loaded machine this tells a sender's fault from the referee being descheduled."""

    TICK = 0.005

    def __init__(self) -> None:
        self.worst = 0.0
        self.over = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary(self) -> dict[str, float]:
        return {"worst_ms": round(1000 * self.worst, 1), "over": self.over}

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.TICK)
            late = loop.time() - start - self.TICK
            self.worst = max(self.worst, late)
            self.over += late > JITTER


def cpu_times() -> tuple[int, int]:
    """(stolen, total) jiffies of all CPUs since boot: a virtual machine's CPU time taken by the
    host for others, which no load average shows."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return fields[7], sum(fields)


class Meter:
    """Wall clock, process CPU and emulator CPU over one send phase, the stalls of both event
    loops meanwhile, and the CPU time the host stole."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.wall = self.cpu = self.emu_cpu = self.steal = 0.0
        self.sent0 = self.limited0 = self.sent = self.limited = 0
        self.stalls = StallMonitor()
        self.emulator_stalls: dict[str, float] = {}
        self._emulator_stalls0: dict[str, float] = {}

    def __enter__(self) -> Meter:
        freeze_heap()  # every phase as `buurtwacht run` runs, once the bot is built
        stats = self.emulator.stats()
        self.sent0, self.limited0 = stats["messages_sent"], stats["too_many_requests"]
        self._emulator_stalls0 = self.emulator.stats("stalls")
        self.stalls.start()
        self._steal = cpu_times()
        self._t = time.perf_counter()
        self._c = time.process_time()
        self._e = self.emulator.cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._t
        self.cpu = time.process_time() - self._c
        self.emu_cpu = self.emulator.cpu() - self._e
        stolen, total = (now - then for now, then in zip(cpu_times(), self._steal, strict=True))
        self.steal = stolen / total if total else 0.0
        self.stalls.stop()
        stats = self.emulator.stats()
        self.sent, self.limited = stats["messages_sent"], stats["too_many_requests"]
        stalls = self.emulator.stats("stalls")
        self.emulator_stalls = {
            "worst_ms": stalls["worst_ms"],
            "over": stalls["over"] - self._emulator_stalls0["over"],
        }

    @property
    def delivered(self) -> int:
        return self.sent - self.sent0

    @property
    def too_many_requests(self) -> int:
        return self.limited - self.limited0

    def result(
        self,
        phase: str,
        planned: int,
        ceiling: float | None,
        *,
        failed: int | None = None,
        materialize_s: float | None = None,
        note: str = "",
    ) -> Result:
        """The phase's row: what this meter saw, plus what only the phase knows."""
        return Result(
            phase=phase,
            planned=planned,
            delivered=self.delivered,
            seconds=self.wall,
            ceiling=ceiling,
            too_many_requests=self.too_many_requests,
            cpu_total_s=self.cpu + self.emu_cpu,
            cpu_emulator_s=self.emu_cpu,
            peak_rss_mb=peak_rss_mb(),
            materialize_s=materialize_s,
            failed=planned - self.delivered if failed is None else failed,
            note=note,
            stalls=(self.stalls.over, int(self.emulator_stalls["over"])),
            worst_stall_ms=(round(1000 * self.stalls.worst, 1), self.emulator_stalls["worst_ms"]),
            steal=self.steal,
        )


# --------------------------------------------------------------------------- phases


async def phase_engine(args: argparse.Namespace) -> Result:
    emulator = EmulatorProcess(args.chats, scaled_limits(args.ceiling, args.paid))
    emulator.start()
    try:
        with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
            db = Database(Path(tmp) / "bench.sqlite3")
            await db.open()
            try:
                return await _run_engine(db, emulator, args)
            finally:
                await db.close()
    finally:
        emulator.stop()


async def _run_engine(db: Database, emulator: EmulatorProcess, args: argparse.Namespace) -> Result:
    chats = emulator.chats
    now = to_db_time(utcnow())
    await db.executemany(
        "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, active, "
        "created_at, updated_at, subscribed_at) VALUES (?, ?, ?, ?, 'burglary', 1, 1, ?, ?, ?)",
        [
            (chat_id, kind, "en" if i % 4 == 0 else "nl", MUNICIPALITY, now, now, now)
            for i, (chat_id, kind) in enumerate(chats)
        ],
    )
    outbox = OutboxStore(db)
    limiter = RateLimiter(args.ceiling, paid=args.paid, per_chat_interval=1.0, group_per_minute=20)
    request = pooled(args.workers, args.http)
    async with Bot(TOKEN, base_url=emulator.base_url, request=request) as bot:
        sender = TelegramSender(bot, paid_broadcast=args.paid)
        engine = DeliveryEngine(outbox, sender, limiter, utcnow, workers=args.workers)
        key = f"bench:{ENTRY}:{MUNICIPALITY}"
        t0 = time.perf_counter()
        queued = await engine.materialize(
            key,
            Content(entry_texts()),
            Audience(frozenset({MUNICIPALITY}), topic="burglary"),
            utcnow(),
            source="bench",
            ref=ENTRY,
        )
        materialize_s = time.perf_counter() - t0
        assert queued == len(chats), (queued, len(chats))
        profiler = cProfile.Profile(time.thread_time) if args.profile else None
        with Meter(emulator) as meter:
            if profiler is not None:
                profiler.enable()
            await engine.drain()
            if profiler is not None:
                profiler.disable()
        counts = await outbox.counts(key)
    if profiler is not None:
        profiler.dump_stats(str(args.profile))
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    return meter.result(
        "engine",
        len(chats),
        args.ceiling,
        failed=len(chats) - counts.get("sent", 0),
        materialize_s=materialize_s,
        note=f"{args.workers} workers, {args.http}, outbox {counts}",
    )


async def _pool(
    chats: Sequence[int], concurrency: int, send: Callable[[int], Awaitable[None]]
) -> None:
    """Send to every chat with `concurrency` tasks, like the engine's worker pool."""
    todo: Iterator[int] = iter(chats)

    async def worker() -> None:
        for chat_id in todo:
            await send(chat_id)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def phase_aiorl(args: argparse.Namespace) -> Result:
    from telegram.ext import AIORateLimiter, ExtBot

    emulator = EmulatorProcess(args.baseline_chats, scaled_limits(args.ceiling))
    emulator.start()
    text = entry_texts()["nl"]
    retry_after = 0
    # max_retries: on a 429 it pauses every request and retries, as it would be deployed.
    limiter: AIORateLimiter = AIORateLimiter(
        overall_max_rate=args.ceiling, overall_time_period=1, max_retries=3
    )
    try:
        async with ExtBot(
            TOKEN,
            base_url=emulator.base_url,
            rate_limiter=limiter,
            request=pooled(args.workers, args.http),
        ) as bot:

            async def send(chat_id: int) -> None:
                nonlocal retry_after
                try:
                    await bot.send_message(
                        chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                    )
                except RetryAfter:
                    retry_after += 1

            with Meter(emulator) as meter:
                await _pool([c for c, _ in emulator.chats], args.workers, send)
    finally:
        emulator.stop()
    return meter.result(
        "aiorl",
        args.baseline_chats,
        args.ceiling,
        note=f"{retry_after} sends gave up after retries" if retry_after else "",
    )


async def phase_raw(args: argparse.Namespace) -> Result:
    """The emulator's own capacity: the body AiohttpRequest sends, posted without PTB."""
    import aiohttp

    emulator = EmulatorProcess(args.baseline_chats, Limits(enabled=False))
    emulator.start()
    text = entry_texts()["nl"]
    url = f"{emulator.base_url}{TOKEN}/sendMessage"
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=args.workers)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:

            async def send(chat_id: int) -> None:
                body = {
                    "chat_id": chat_id,
                    "text": text,
                    "parse_mode": "HTML",
                    "link_preview_options": {"is_disabled": True},
                }
                async with session.post(url, data=json.dumps(body).encode(), headers=headers) as r:
                    await r.read()

            with Meter(emulator) as meter:
                await _pool([c for c, _ in emulator.chats], args.workers, send)
    finally:
        emulator.stop()
    return meter.result(
        "raw", args.baseline_chats, None, note=f"{args.workers} in flight, aiohttp without PTB"
    )


async def phase_bare(
    args: argparse.Namespace, concurrency: int, name: str, paced_at: float | None = None
) -> Result:
    emulator = EmulatorProcess(args.baseline_chats, Limits(enabled=False))
    emulator.start()
    text = entry_texts()["nl"]
    try:
        request = pooled(concurrency, args.http)
        async with Bot(TOKEN, base_url=emulator.base_url, request=request) as bot:
            loop = asyncio.get_running_loop()
            next_slot = loop.time()

            async def send(chat_id: int) -> None:
                nonlocal next_slot
                if paced_at is not None:
                    # The least any limiter does: one timer per send, 1/paced_at apart.
                    slot, next_slot = next_slot, max(next_slot, loop.time()) + 1 / paced_at
                    await asyncio.sleep(max(0.0, slot - loop.time()))
                await bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                )

            with Meter(emulator) as meter:
                await _pool([c for c, _ in emulator.chats], concurrency, send)
    finally:
        emulator.stop()
    paced = f", paced at {paced_at:g}/s" if paced_at else ""
    return meter.result(
        name, args.baseline_chats, None, note=f"{concurrency} in flight, {args.http}{paced}"
    )


def run_phase(args: argparse.Namespace) -> Result:
    phase: str = args.phase
    if phase == "engine":
        return asyncio.run(phase_engine(args))
    if phase == "aiorl":
        return asyncio.run(phase_aiorl(args))
    if phase == "raw":
        return asyncio.run(phase_raw(args))
    if phase == "bare-seq":
        return asyncio.run(phase_bare(args, 1, phase))
    if phase == "bare-conc":
        return asyncio.run(phase_bare(args, args.workers, phase))
    if phase == "bare-paced":
        # As many in flight as the engine, or a paced loop could not reach a high ceiling.
        return asyncio.run(phase_bare(args, args.workers, phase, paced_at=args.ceiling))
    raise SystemExit(f"unknown phase {phase!r}")


# --------------------------------------------------------------------------- the report


def spawn(phase: str, args: argparse.Namespace) -> Result | str:
    """Run one phase in a fresh interpreter; its last stdout line is the JSON result."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--phase",
        phase,
        "--chats",
        str(args.chats),
        "--ceiling",
        str(args.ceiling),
        "--baseline-chats",
        str(args.baseline_chats),
        "--workers",
        str(args.workers),
    ]
    if args.profile and phase == "engine":
        cmd += ["--profile", str(args.profile)]
    if args.paid:
        cmd.append("--paid")
    cmd += ["--http", args.http]
    env = {**os.environ, "PTB_TIMEDELTA": "1"}
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            data: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
            return Result(**data)
    return f"{phase}: exited with {proc.returncode} without a result"


def load_average(at_start: Sequence[float]) -> str:
    """The machine's load at a run's start and end: other work on it moves every figure."""

    def three(values: Sequence[float]) -> str:
        return " ".join(f"{x:.2f}" for x in values)

    return (
        f"load average (1, 5, 15 min) at start {three(at_start)}, at end {three(os.getloadavg())}"
    )


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(results: Sequence[Result], args: argparse.Namespace, load: Sequence[float]) -> None:
    header = (
        f"{'phase':<10} {'msgs':>6} {'secs':>6} {'msg/s':>7} {'÷ceil':>6} {'429s':>5} "
        f"{'CPU ms/msg':>10} {'emulator':>8} {'sender':>7} {'RSS MB':>7} {'mater. s':>8} "
        f"{'stalls s/e':>10} {'worst ms s/e':>12} {'steal':>5}"
    )
    limits = (
        "emulator paid limit 1000/s, 1/s per chat, 20/min per group"
        if args.paid
        else f"emulator global limit {args.ceiling * TELEGRAM_RATIO:g}/s, 1/s per chat, "
        "20/min per group"
    )
    print()
    print(
        f"fan-out of one entry, ceiling {args.ceiling:g} msg/s{' (paid)' if args.paid else ''} "
        f"({limits}), {args.workers} workers, PTB on {args.http}"
    )
    print(
        f"engine: {args.chats} chats; baselines: {args.baseline_chats} chats each "
        f"({PRIVATE_SHARE:.0%} private, the rest groups)"
    )
    print(load_average(load))
    print("CPU ms/msg: both processes; emulator: its process; sender: the sending process")
    print(
        f"stalls s/e: event-loop stalls over {1000 * JITTER:.0f} ms in the sender/the emulator "
        "(a stall makes a burst the emulator may count as too many); steal: the CPU time the "
        "virtual machine's host took meanwhile"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.phase:<10} {r.delivered:>6} {r.seconds:>6.1f} {r.rate:>7.1f} "
            f"{fmt(r.ratio, '.3f'):>6} {r.too_many_requests:>5} {r.cpu_ms:>10.2f} "
            f"{r.emulator_ms:>8.2f} {r.sender_ms:>7.2f} {r.peak_rss_mb:>7.0f} "
            f"{fmt(r.materialize_s, '.3f'):>8} {r.stalls[0]:>5}/{r.stalls[1]:<4} "
            f"{r.worst_stall_ms[0]:>6.0f}/{r.worst_stall_ms[1]:<5.0f} {r.steal:>5.0%}"
            + (f"  {r.note}" if r.note else "")
        )
    engine = next((r for r in results if r.phase == "engine"), None)
    if engine is None:
        return
    print()
    ratio = engine.ratio or 0.0
    print(f"target rate  >= 0.97 x ceiling : {ratio:.3f}  {'OK' if ratio >= 0.97 else 'MISSED'}")
    limited = engine.too_many_requests
    print(f"target 429s  == 0              : {limited}  {'OK' if limited == 0 else 'MISSED'}")
    print(
        f"engine rows  sent              : {engine.delivered}/{engine.planned}"
        f"  {'OK' if engine.failed == 0 else 'MISSED'}"
    )
    paced = next((r for r in results if r.phase == "bare-paced"), None)
    if paced is not None:
        ratio_sender = engine.sender_ms / paced.sender_ms
        print(
            f"target CPU   <= 1.2 x paced    : {ratio_sender:.2f} x "
            f"({engine.sender_ms:.2f} vs {paced.sender_ms:.2f} ms, bare-paced)"
            f"  {'OK' if ratio_sender <= 1.2 else 'MISSED'}"
        )
    unpaced = [r for r in results if r.phase in ("bare-seq", "bare-conc")]
    if unpaced:
        floor = min(unpaced, key=lambda r: r.sender_ms)
        print(
            f"for reference: engine vs the unpaced floor ({floor.phase}): "
            f"{engine.sender_ms / floor.sender_ms:.2f} x ({floor.sender_ms:.2f} ms)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=10_000, help="chats for the engine")
    parser.add_argument("--ceiling", type=float, default=200.0, help="msg/s of the senders")
    parser.add_argument(
        "--baseline-chats", type=int, default=3_000, help="chats for each baseline phase"
    )
    parser.add_argument(
        "--workers", type=int, help="engine workers / concurrency (default: as the bot sizes it)"
    )
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--phases", help="comma-separated phases to run (default: all)")
    parser.add_argument(
        "--profile", type=Path, help="cProfile (main-thread CPU time) the engine send phase to FILE"
    )
    parser.add_argument(
        "--paid", action="store_true", help="paid broadcast: Telegram's 1000/s, unscaled"
    )
    parser.add_argument(
        "--http", choices=HTTP_LAYERS, default="aiohttp", help="PTB's HTTP layer (default aiohttp)"
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--serve-emulator", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--limits", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_emulator is not None:
        serve_emulator(args.serve_emulator, Limits(**json.loads(args.limits)))
        return 0
    if args.workers is None:
        args.workers = workers_for(args.ceiling)

    if args.phase:
        result = run_phase(args)
        print(RESULT_PREFIX + json.dumps(dataclasses.asdict(result)), flush=True)
        return 0

    phases = ["engine"] if args.skip_baselines else list(PHASES)
    if args.phases:
        phases = [p for p in args.phases.split(",") if p in PHASES]
    load = os.getloadavg()
    results: list[Result] = []
    for phase in phases:
        if phase == "aiorl":
            try:
                import aiolimiter  # noqa: F401
            except ImportError:
                print("aiorl: skipped (pip install 'python-telegram-bot[rate-limiter]')")
                continue
        print(f"running {phase} ...", file=sys.stderr, flush=True)
        outcome = spawn(phase, args)
        if isinstance(outcome, str):
            print(outcome, file=sys.stderr)
            continue
        results.append(outcome)
    report(results, args, load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
