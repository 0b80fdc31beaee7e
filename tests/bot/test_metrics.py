"""The Prometheus endpoint, scraped over HTTP while a broadcast runs into Telegram's limits."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import package_version
from bot.operations import operations
from bot.sandbox.emulator import BotApiEmulator
from scheduler.delivery import Audience, Content
from tests.bot.test_webhook import free_port
from tests.harness import BotHarness, make_config, subscribed_residents

N_CHATS = 60


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the endpoint: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_scrape_during_a_broadcast(emu: BotApiEmulator, tmp_path: Path) -> None:
    port = free_port()
    config = make_config(tmp_path, metrics={"enabled": True, "port": port})
    harness = BotHarness(emu, config)
    await harness.start()
    try:
        services = harness.services
        # One resident talks to the bot; the first reply is refused by "Telegram", so that
        # update's handler fails (and is apologised for), the second is handled.
        anna = emu.add_user("Anna", language_code="en").id
        emu.fail_next(anna, "bad_request", method="sendMessage")
        emu.send_text(anna, anna, "/start")
        emu.send_text(anna, anna, "/help")
        await emu.wait_sent(anna, 2)
        await emu.wait_idle()

        chats = await subscribed_residents(emu, services, N_CHATS)
        # Telegram's real limits, at a third of the engine's pace: the engine meets 429s.
        emu.set_limits(enabled=True, global_per_second=8.0)
        await services.engine.materialize(
            "campaign:m",
            Content({"nl": "Tip"}),
            Audience(frozenset({"enschede"})),
            services.now(),
            source="campaign",
            ref="m",
        )
        await emu.wait_for(
            lambda: emu.stats.too_many_requests >= 3 and sum(map(len, map(emu.sent, chats))) >= 5,
            timeout=30,
        )
        await operations(harness.app).refresh(services.now())  # what the health job does
        m = await asyncio.to_thread(scrape, port)

        def value(name: str, **labels: str) -> float:
            return m[(name, tuple(sorted(labels.items())))]

        assert value("buurtwacht_updates_total", kind="message", outcome="handled") >= 1
        assert value("buurtwacht_updates_total", kind="message", outcome="failed") == 1
        assert value("buurtwacht_reply_latency_seconds_count", kind="message") >= 2
        assert value("buurtwacht_reply_latency_seconds_bucket", kind="message", le="+Inf") >= 2
        assert value("buurtwacht_telegram_errors_total", kind="bad_request") >= 1
        assert value("buurtwacht_telegram_errors_total", kind="rate_limited") >= 3
        assert value("buurtwacht_engine_deliveries_total", outcome="rate_limited") >= 1
        assert value("buurtwacht_engine_deliveries_total", outcome="sent") >= 1
        # Mid-broadcast: rows still pending, others sent, in the database-derived gauges.
        assert value("buurtwacht_deliveries", state="pending") > 0
        assert value("buurtwacht_deliveries", state="sent") > 0
        assert value("buurtwacht_outbox_pending_due") >= 0
        assert value("buurtwacht_outbox_oldest_pending_age_seconds") >= 0
        assert value("buurtwacht_subscriptions", kind="private") == N_CHATS
        assert value("buurtwacht_advice_requests", status="new") == 0
        assert value("buurtwacht_last_poll_success_timestamp_seconds") > 0
        assert value("buurtwacht_last_update_timestamp_seconds") > 0
        assert value("buurtwacht_database_errors_total") == 0
        (build,) = [labels for (name, labels) in m if name == "buurtwacht_build_info"]
        assert ("version", package_version()) in build

        emu.set_limits(enabled=False)
        await services.engine.drain()
    finally:
        await harness.stop()
    with pytest.raises(urllib.error.URLError):  # the endpoint stops with the bot
        await asyncio.to_thread(scrape, port)


async def test_metrics_are_off_by_default(emu: BotApiEmulator, bot: BotHarness) -> None:
    assert bot.services.config.metrics.enabled is False
    with pytest.raises(urllib.error.URLError):
        await asyncio.to_thread(scrape, bot.services.config.metrics.port)


async def test_a_busy_port_is_a_clear_start_up_error(emu: BotApiEmulator, tmp_path: Path) -> None:
    port = free_port()
    holder = await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)
    try:
        harness = BotHarness(emu, make_config(tmp_path, metrics={"enabled": True, "port": port}))
        with pytest.raises(RuntimeError) as failed:
            await harness.start()
        assert harness.db is not None
        await harness.db.close()
        # The cause is in the chain (PTB may report "still running" on top of it; the start-up
        # error handling of serve() is issue 9 section 5).
        chain, error = [], failed.value
        while error is not None:
            chain.append(str(error))
            error = error.__cause__ or error.__context__
        assert f"metrics: cannot listen on 127.0.0.1:{port}" in " | ".join(chain)
    finally:
        holder.close()
        await holder.wait_closed()
