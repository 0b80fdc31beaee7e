"""What the running bot counts, for the optional Prometheus endpoint and for the health checks.

Counting is always on and cheap; `[metrics] enabled` only decides whether the numbers are served
over HTTP (prometheus_client's own server, in a thread). Three hooks see everything without
touching the handlers or the delivery engine:

- the Application subclass times every update from its arrival in the update queue to the end
  of its handling (the reply included) and counts the ones whose handler failed;
- the HTTP request subclass sees every Bot API answer: errors by kind (429s among them), and
  the last successful getUpdates;
- a logging handler counts database errors wherever they are logged (engine, handlers, jobs).

The engine's own counters are read from its `EngineStats` at scrape time; numbers that live in
the database (outbox, subscriptions, advice requests) are refreshed by the health job.
One registry per Application, so tests and the demo can run several side by side.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIServer

import telegram
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector
from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application, ApplicationBuilder

from bot import package_version
from bot.aiohttp_request import AiohttpRequest
from scheduler.delivery import EngineStats

WINDOW_SECONDS = 600.0  # "in the last 10 minutes", for 429s and database errors
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
ERROR_KINDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    429: "rate_limited",
}


def update_kind(update: object) -> str:
    """Telegram's name for what an update carries: message, callback_query, my_chat_member..."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return str(kind)
    return "other"


class EventWindow:
    """Timestamps of recent events, to count how many fell in the last WINDOW_SECONDS."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._events: deque[float] = deque()
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self._events.append(self._clock())

    def recent(self) -> int:
        with self._lock:
            cutoff = self._clock() - WINDOW_SECONDS
            while self._events and self._events[0] < cutoff:
                self._events.popleft()
            return len(self._events)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "buurtwacht_updates",
            "Updates handled, by kind and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.reply_latency = Histogram(
            "buurtwacht_reply_latency_seconds",
            "From an update's arrival to the end of its handling, the reply's send included",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.telegram_errors = Counter(
            "buurtwacht_telegram_errors",
            "Bot API requests that failed, by kind (rate_limited = 429 Too Many Requests)",
            ["kind"],
            registry=r,
        )
        self.database_errors = Counter(
            "buurtwacht_database_errors", "Database errors logged anywhere in the bot", registry=r
        )
        self.last_poll = Gauge(
            "buurtwacht_last_poll_success_timestamp_seconds",
            "Unix time of the last successful getUpdates (polling mode)",
            registry=r,
        )
        self.last_update = Gauge(
            "buurtwacht_last_update_timestamp_seconds",
            "Unix time of the last update received (polling or webhook)",
            registry=r,
        )
        self.deliveries = Gauge(
            "buurtwacht_deliveries",
            "Outbox rows by state (from the database)",
            ["state"],
            registry=r,
        )
        self.outbox_due = Gauge(
            "buurtwacht_outbox_pending_due", "Pending deliveries whose time has come", registry=r
        )
        self.outbox_oldest = Gauge(
            "buurtwacht_outbox_oldest_pending_age_seconds",
            "How long the oldest due pending delivery has been waiting (0: none)",
            registry=r,
        )
        self.subscriptions = Gauge(
            "buurtwacht_subscriptions", "Active subscribed chats by kind", ["kind"], registry=r
        )
        self.advice = Gauge(
            "buurtwacht_advice_requests", "Advice requests by status", ["status"], registry=r
        )
        self.health = Gauge(
            "buurtwacht_health_condition",
            "1 while a condition that needs a human is raised",
            ["condition"],
            registry=r,
        )
        self.refreshed = Gauge(
            "buurtwacht_database_gauges_refreshed_timestamp_seconds",
            "Unix time the database-derived gauges were last refreshed",
            registry=r,
        )
        build = Info("buurtwacht_build", "Versions of the running bot", registry=r)
        build.info(
            {
                "version": package_version(),
                "python": platform.python_version(),
                "python_telegram_bot": telegram.__version__,
            }
        )
        self.rate_limited_recent = EventWindow()
        self.database_errors_recent = EventWindow()
        # Keyed by id(update): arrival time, and the updates whose handler failed.
        self.arrivals: dict[int, float] = {}
        self.failed_updates: set[int] = set()
        self._server: tuple[WSGIServer, threading.Thread] | None = None

    # --- hooks -----------------------------------------------------------------------------

    def telegram_error(self, kind: str) -> None:
        self.telegram_errors.labels(kind).inc()
        if kind == "rate_limited":
            self.rate_limited_recent.add()

    def database_error(self) -> None:
        self.database_errors.inc()
        self.database_errors_recent.add()

    def watch_engine(self, stats: Callable[[], EngineStats]) -> None:
        self.registry.register(EngineCollector(stats))

    # --- the endpoint ----------------------------------------------------------------------

    def serve(self, host: str, port: int) -> None:
        try:
            server, thread = start_http_server(port, host, registry=self.registry)
        except OSError as exc:
            raise RuntimeError(f"metrics: cannot listen on {host}:{port}: {exc}") from exc
        self._server = (server, thread)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server[0].server_port)

    async def stop_serving(self) -> None:
        if self._server is not None:
            server, thread = self._server
            self._server = None
            server.shutdown()
            server.server_close()
            await asyncio.to_thread(thread.join)


class EngineCollector(Collector):
    """The delivery engine's counters since start, read at scrape time (the engine is not
    touched: it keeps its plain `EngineStats`)."""

    def __init__(self, stats: Callable[[], EngineStats]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "buurtwacht_engine_deliveries",
            "Delivery outcomes in the engine since start (rate_limited: 429 on a broadcast send)",
            labels=["outcome"],
        )
        stats = self._stats()
        for outcome in ("sent", "failed", "skipped", "retried", "rate_limited"):
            family.add_metric([outcome], getattr(stats, outcome))
        yield family


class TimedQueue(asyncio.Queue[object]):
    """The Application's update queue, noting when each update arrived (polling or webhook)."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self.metrics = metrics

    def put_nowait(self, item: object) -> None:
        if isinstance(item, Update):  # not PTB's stop signal
            self.metrics.arrivals[id(item)] = time.perf_counter()
            self.metrics.last_update.set_to_current_time()
        super().put_nowait(item)


class InstrumentedApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application, counting and timing every update it processes."""

    def __init__(self, *, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def process_update(self, update: object) -> None:
        started = self.metrics.arrivals.pop(id(update), None) or time.perf_counter()
        kind = update_kind(update)
        try:
            await super().process_update(update)
        finally:
            failed = id(update) in self.metrics.failed_updates
            self.metrics.failed_updates.discard(id(update))
            self.metrics.updates.labels(kind, "failed" if failed else "handled").inc()
            self.metrics.reply_latency.labels(kind).observe(time.perf_counter() - started)

    async def process_error(
        self, update: object | None, error: Exception, job: Any = None, coroutine: Any = None
    ) -> bool:
        if update is not None:
            self.metrics.failed_updates.add(id(update))
        return await super().process_error(update, error, job, coroutine)


class InstrumentedRequest(AiohttpRequest):
    """The bot's HTTP layer, noting every failed answer by kind and every successful poll."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(url, method, *args, **kwargs)
        except TimedOut:
            self.metrics.telegram_error("timed_out")
            raise
        except NetworkError:
            self.metrics.telegram_error("network")
            raise
        if code >= 500:
            self.metrics.telegram_error("server_error")
        elif code >= 300:
            self.metrics.telegram_error(ERROR_KINDS.get(code, "other"))
        elif url.endswith("/getUpdates"):
            self.metrics.last_poll.set_to_current_time()
        return code, payload


class DatabaseErrorLog(logging.Handler):
    """Counts log records that carry a database exception (anywhere in the process)."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(logging.ERROR)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        while error is not None:
            if isinstance(error, sqlite3.Error):
                self.metrics.database_error()
                return
            error = error.__cause__ or error.__context__


BuilderT = TypeVar("BuilderT", bound=ApplicationBuilder[Any, Any, Any, Any, Any, Any])


def instrument(builder: BuilderT, metrics: Metrics) -> BuilderT:
    """Wire the hooks into an ApplicationBuilder. Every Bot API request goes over aiohttp
    (bot/aiohttp_request.py: a third of httpx's CPU per request or less), with PTB's pool
    sizes: 256, and one for the long poll."""
    return (
        builder.application_class(InstrumentedApplication, {"metrics": metrics})
        .update_queue(TimedQueue(metrics))
        .request(InstrumentedRequest(metrics, connection_pool_size=256))
        .get_updates_request(InstrumentedRequest(metrics, connection_pool_size=1))
    )
