"""The dashboard's pages over HTTP: tailoring, campaigns with four eyes, insight, and Telegram
HTML shown safely."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config import Config
from bot.dashboard.render import telegram_html
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.database import to_db_time
from tests.advisers.helpers import adviser, group, resident, say, stored_campaign
from tests.dashboard.conftest import base, csrf_of, dashboard_config, sign_in
from tests.dashboard.test_browser import next_occurrence
from tests.delivery.test_calendar_delivery import Clock
from tests.harness import BotHarness


def test_telegram_html_is_shown_with_telegram_formatting_only() -> None:
    shown = telegram_html(
        '<b>Let op</b> &amp; <a href="https://politie.nl">politie</a> '
        '<a href="javascript:alert(1)">x</a> <tg-spoiler>geheim</tg-spoiler>'
    )
    assert shown == (
        '<strong>Let op</strong> &amp; <a href="https://politie.nl" rel="noopener noreferrer">'
        'politie</a> x <span class="tg-spoiler">geheim</span>'
    )
    # Not Telegram HTML (a script tag): shown as text, escaped.
    assert telegram_html("<script>alert(1)</script>") == (
        '<span class="tg-invalid">&lt;script&gt;alert(1)&lt;/script&gt;</span>'
    )


async def test_skip_and_restore_in_the_dashboard_are_the_chats_own(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    occ = next_occurrence(bot, Clock("2027-01-01 12:00"), "enschede", "burglary")
    bot.services.now = lambda: occ.at - timedelta(days=1)
    await sign_in(web, emu, admin)
    page = f"{base(bot)}/calendar/entry?m=enschede&entry={occ.entry_id}&date={occ.local_date}"
    token = await csrf_of(web, page)
    fields = {"csrf": token, "m": "enschede", "entry": occ.entry_id, "date": str(occ.local_date)}
    async with web.post(page, data=fields | {"action": "skip_once"}) as answer:
        assert answer.status == 200 and "overgeslagen" in await answer.text()
    override = await bot.services.outbox.override_for("enschede", occ.entry_id, str(occ.local_date))
    assert override is not None and override.action == "skip"
    async with web.post(page, data=fields | {"action": "restore"}) as answer:
        assert answer.status == 200
    assert (
        await bot.services.outbox.override_for("enschede", occ.entry_id, str(occ.local_date))
        is None
    )
    # A text Telegram would refuse is not stored; the reason is shown.
    bad = fields | {"action": "replace", "text_nl": "<b>open", "text_en": "fine"}
    async with web.post(page, data=bad) as answer:
        assert answer.status == 422 and "&lt;b&gt; is never closed" in await answer.text()
    actions = [
        (r["action"], r["target"])
        for r in await bot.services.db.fetchall(
            "SELECT action, target FROM audit_log WHERE actor_id = ? ORDER BY id", (admin,)
        )
    ]
    assert actions[-2:] == [
        ("calendar.skip", f"enschede:{occ.entry_id}:{occ.local_date}"),
        ("calendar.default", f"enschede:{occ.entry_id}"),
    ]


@pytest.fixture
def config(tmp_path: Path, admin: int) -> Config:
    return dashboard_config(tmp_path, admin, campaigns={"require_approval": True})


async def test_four_eyes_test_send_and_approval_from_the_dashboard(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede")
    await say(emu, admin, "/start")  # Anna has a chat: she can be asked to approve
    await resident(emu, bot, "Rik", "enschede")
    await sign_in(web, emu, eva)
    token = await csrf_of(web, base(bot) + "/campaigns/new")
    fields = {
        "csrf": token,
        "m": "enschede",
        "kinds": "both",
        "topic": "all",
        "moment": "",
        "text_en": "<b>Lock up</b> before the holidays",
        "text_nl": "",
    }
    before = len(emu.sent(eva))
    async with web.post(base(bot) + "/campaigns/draft", data=fields | {"action": "test"}) as a:
        assert a.status == 200 and "done=test" in str(a.url)
        draft = re.search(r'name="draft" value="(\d+)"', await a.text())
    # Both languages get the English text: one version, sent to Eva only, as recipients see it.
    (test,) = (await emu.wait_sent(eva, before + 1))[before:]
    assert test.html == "<b>Lock up</b> before the holidays"
    assert draft
    asked_before = len(emu.sent(admin))
    data = fields | {"action": "submit", "draft": draft.group(1)}
    async with web.post(base(bot) + "/campaigns/draft", data=data) as answer:
        assert answer.status == 200 and str(answer.url).endswith("/campaigns/1?done=asked")
        assert "awaiting approval" in await answer.text()
    asked = await emu.wait_sent(admin, asked_before + 2)
    assert "Campagne #1 voor Enschede wacht op jouw goedkeuring" in asked[-1].text
    # Eva cannot approve her own; Anna can, in the dashboard.
    async with web.get(base(bot) + "/campaigns/1") as page:
        assert 'value="approve"' not in await page.text()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as anna:
        await sign_in(anna, emu, admin)
        token = await csrf_of(anna, base(bot) + "/campaigns/1")
        told = len(emu.sent(eva))
        data = {"csrf": token, "action": "approve"}
        async with anna.post(base(bot) + "/campaigns/1", data=data) as answer:
            assert answer.status == 200 and "done=approve" in str(answer.url)
    campaign = await bot.services.campaigns.get(1)
    assert campaign is not None and campaign.state == "scheduled" and campaign.approved_by == admin
    (news,) = (await emu.wait_sent(eva, told + 1))[told:]
    assert news.text.startswith("Your campaign #1 was approved.")


async def test_cancel_and_reschedule_from_the_dashboard(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    due = bot.services.now() + timedelta(days=3)
    campaign = await stored_campaign(bot, admin, {"hengelo"}, due, state="awaiting_approval")
    eva = await adviser(emu, bot, "Eva", "enschede")
    await sign_in(web, emu, eva)
    token = await csrf_of(web, base(bot) + "/campaigns/new")
    url = f"{base(bot)}/campaigns/{campaign.id}"
    # Not hers to see or change: Hengelo is not in Eva's scope.
    async with web.get(url) as page:
        assert page.status == 403
    async with web.post(url, data={"csrf": token, "action": "cancel"}) as answer:
        assert answer.status == 403
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as anna:
        await sign_in(anna, emu, admin)
        token = await csrf_of(anna, url)
        later = (due + timedelta(days=1)).astimezone(bot.config.locale.tz)
        moment = later.strftime("%Y-%m-%dT%H:%M")
        async with anna.post(url, data={"csrf": token, "action": "reschedule", "moment": moment}):
            pass
        moved = await bot.services.campaigns.get(campaign.id)
        assert moved is not None and moved.due_at == later.replace(second=0, microsecond=0)
        async with anna.post(url, data={"csrf": token, "action": "cancel"}) as answer:
            assert "is geannuleerd" in await answer.text()
    cancelled = await bot.services.campaigns.get(campaign.id)
    assert cancelled is not None and cancelled.state == "cancelled"


async def test_insight_shows_numbers_and_server_drawn_charts(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    await resident(emu, bot, "Rik", "enschede")
    await group(emu, bot, "Roombeek", admin, "enschede")
    await sign_in(web, emu, admin)
    async with web.get(base(bot) + "/insight?m=enschede") as page:
        text = await page.text()
    assert page.status == 200
    assert '<th scope="row">Enschede</th>' in text and "<td>2</td>" in text
    assert ("nog geen stemmen" in text.lower()) is not await feedback_table(bot)
    assert '<th scope="row">2016</th><td>792</td>' in text
    for chart, kind in (
        ("subscribers.svg", "image/svg+xml"),
        ("deliveries.svg", "image/svg+xml"),
        ("figures.png", "image/png"),
    ):
        async with web.get(f"{base(bot)}/insight/{chart}?m=enschede") as image:
            assert image.status == 200 and image.content_type == kind
            body = await image.read()
            assert body.startswith(b"<?xml") or body.startswith(b"\x89PNG")


async def feedback_table(bot: BotHarness) -> bool:
    return bool(
        await bot.services.db.fetchval(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'"
        )
    )


async def test_insight_shows_votes_and_shares_per_message(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    """Two votes up, one down and a share for a campaign in Enschede (and a vote in Hengelo,
    outside the scope), as the votes-and-shares feature stores them."""
    db = bot.services.db
    campaign = await stored_campaign(bot, admin, {"enschede"}, bot.services.now())
    await db.execute(
        "INSERT INTO broadcasts (key, source, ref, due_at, state, created_at, updated_at) "
        "VALUES (?, 'campaign', ?, ?, 'materialized', ?, ?)",
        (campaign.key, str(campaign.id), *[to_db_time(campaign.due_at)] * 3),
    )
    await db.executemany(
        "INSERT INTO feedback (kind, broadcast_key, municipality, value) VALUES (?, ?, ?, ?)",
        [
            (kind, campaign.key, where, value)
            for kind, where, value in (
                ("vote", "enschede", 1),
                ("vote", "enschede", 1),
                ("vote", "enschede", -1),
                ("share", "enschede", 1),
                ("vote", "hengelo", 1),
            )
        ],
    )
    await sign_in(web, emu, admin)
    async with web.get(base(bot) + "/insight?m=enschede") as page:
        text = await page.text()
    assert (
        '<th scope="row">Campagne #1: Doe de deur op slot</th><td>2</td><td>1</td><td>1</td>'
        in text
    )


async def test_forgetme_ends_the_sessions_and_drops_the_drafts(
    emu: BotApiEmulator, bot: BotHarness, web: aiohttp.ClientSession
) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede")
    await sign_in(web, emu, eva)
    token = await csrf_of(web, base(bot) + "/campaigns/new")
    data = {"csrf": token, "action": "save", "m": "enschede", "text_en": "Draft", "moment": ""}
    async with web.post(base(bot) + "/campaigns/draft", data=data):
        pass
    assert await bot.services.db.fetchval("SELECT COUNT(*) FROM campaign_drafts") == 1
    await say(emu, eva, "/forgetme")
    await emu.wait_answer(emu.press(eva, eva, emu.last(eva).message_id, "Yes, delete my data"))
    for table in ("campaign_drafts", "dashboard_sessions", "dashboard_login_codes"):
        assert await bot.services.db.fetchval(f"SELECT COUNT(*) FROM {table}") == 0, table
    async with web.get(base(bot) + "/calendar") as page:
        assert page.status == 401
