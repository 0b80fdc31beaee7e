"""The dashboard in a real browser: Debian's Chromium, headless, driven by selenium through
chromedriver, against the real bot and the Telegram emulator.

Selenium is synchronous and the bot runs in this test's event loop, so every browser call runs
in a worker thread (`Browser`); the bot answers meanwhile. Set BUURTWACHT_SCREENSHOT=1 to write
the README's screenshot (docs/dashboard.png); otherwise it goes to the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from scheduler.moments import MomentResolver
from scheduler.occurrences import Occurrence, occurrences_for_municipalities
from tests.advisers.helpers import adviser
from tests.dashboard.conftest import dashboard_config, login_link
from tests.delivery.test_calendar_delivery import Clock, deliver_due, received, subscriber
from tests.harness import ROOT, BotHarness

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium is absent: apt-get install chromium chromium-driver (.ci/run does)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=nl",
)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """One Chromium for the module (starting one costs a second or two); cookies are cleared
    by each test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="buurtwacht-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_window_size(1400, 1000)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Browser:
    """The driver's calls, each in a worker thread."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def run(self, call: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(call, *args)

    async def get(self, url: str) -> None:
        await self.run(self.driver.get, url)

    async def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return await self.run(self.driver.find_element, By.CSS_SELECTOR, css)

    async def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(await self.run(self.driver.find_elements, By.CSS_SELECTOR, css))

    async def click(self, css: str) -> None:
        element = await self.find(css)
        await self.run(element.click)

    async def type(self, css: str, text: str) -> None:
        element = await self.find(css)
        await self.run(element.clear)
        await self.run(element.send_keys, text)

    async def text(self, css: str) -> str:
        element = await self.find(css)
        return str(await self.run(lambda: element.text))

    async def until(self, check: Callable[[], bool], timeout: float = 15) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        await self.run(WebDriverWait(self.driver, timeout).until, lambda _d: check())


CLOCK = "2027-03-02 11:00"  # a Tuesday morning: nothing held by the quiet hours


@pytest.fixture
def clock() -> Clock:
    return Clock(CLOCK)


@pytest.fixture
def config(tmp_path: Path, admin: int) -> Config:
    return dashboard_config(tmp_path, admin)


@pytest.fixture
async def bot(emu: BotApiEmulator, config: Config, clock: Clock) -> AsyncIterator[BotHarness]:
    async with BotHarness(emu, config, clock=clock) as harness:
        yield harness


@pytest.fixture
def browser(driver: Any) -> Browser:
    driver.delete_all_cookies()
    driver.set_window_size(1400, 1000)
    return Browser(driver)


async def sign_in(browser: Browser, emu: BotApiEmulator, user: int) -> None:
    await browser.get(await login_link(emu, user))
    await browser.click("#login")
    await browser.until(lambda: browser.driver.current_url.endswith("/dashboard/calendar"))


async def test_the_year_after_a_one_time_link(
    emu: BotApiEmulator, bot: BotHarness, browser: Browser, tmp_path: Path
) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede", locale="nl")
    await sign_in(browser, emu, eva)
    assert await browser.text("h1") == "Kalender 2027: Enschede"
    months = await browser.all("section.month")
    assert len(months) == 12
    assert [
        await browser.run(lambda m=m: m.find_element("css selector", "h2").text)
        for m in (months[0], months[11])
    ] == ["Januari 2027", "December 2027"]
    entries = await browser.all(".grid .kind-calendar a")
    assert len(entries) > 40  # the shipped calendar: every month has calendar messages
    assert "Tip: draai de deur op slot" in [await browser.run(lambda e=e: e.text) for e in entries]
    assert await browser.all(".grid td.band-holiday") and await browser.all(".grid td.band-dark")
    shot = (
        ROOT / "docs" / "dashboard.png"
        if os.environ.get("BUURTWACHT_SCREENSHOT")
        else tmp_path / "dashboard.png"
    )
    shot.parent.mkdir(exist_ok=True)
    assert await browser.run(browser.driver.save_screenshot, str(shot))
    # On a phone the months are lists instead of grids.
    await browser.run(browser.driver.set_window_size, 390, 844)
    await browser.until(
        lambda: not (browser.driver.find_element("css selector", ".grid").is_displayed())
    )
    listed = await browser.all(".list .kind-calendar a")
    assert listed and await browser.run(listed[0].is_displayed)


def next_occurrence(bot: BotHarness, clock: Clock, slug: str, topic: str) -> Occurrence:
    services = bot.services
    municipality = services.config.municipality(slug)
    assert municipality is not None
    today = clock().astimezone(services.config.locale.tz).date()
    found = occurrences_for_municipalities(
        services.calendar,
        today,
        today + timedelta(days=60),
        [(slug, municipality.school_region)],
        MomentResolver(services.config.locale.tz),
    )
    return next(
        occ
        for occ in found
        if occ.at > clock()
        and services.calendar.get(occ.entry_id).topic == topic
        and not services.calendar.get(occ.entry_id).local
    )


async def test_a_text_replaced_in_the_dashboard_is_what_a_chat_receives(
    emu: BotApiEmulator, bot: BotHarness, browser: Browser, clock: Clock
) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede", locale="nl")
    resident = await subscriber(emu, bot, "enschede", {"burglary"})
    occ = next_occurrence(bot, clock, "enschede", "burglary")
    await bot.services.planner.plan()
    await sign_in(browser, emu, eva)
    day = occ.local_date.isoformat()
    link = await browser.find(f'.grid a[href$="entry={occ.entry_id}&date={day}"]')
    await browser.run(link.click)
    await browser.until(lambda: "/calendar/entry" in browser.driver.current_url)
    assert await browser.text("#audience") == "1 chat"
    await browser.type("#text_nl", "<b>Enschede zegt</b>: doe de deur op slot, ook overdag.")
    await browser.type("#text_en", "<b>Enschede says</b>: lock the door, also by day.")
    await browser.click('button[value="replace"]')
    await browser.until(lambda: "done=replace" in browser.driver.current_url)
    assert (
        "Eigen tekst voor Enschede" in await browser.text("#state")
        or "eigen tekst" in (await browser.text("#state")).lower()
    )
    # The preview shows it as Telegram does: bold, no tags.
    bubble = await browser.find(".bubble .tg strong")
    assert await browser.run(lambda: bubble.text) == "Enschede zegt"
    clock.t = occ.at
    await deliver_due(bot)
    assert received(emu, resident) == ["Enschede zegt: doe de deur op slot, ook overdag."]
    audit = await bot.services.db.fetchall(
        "SELECT action, target FROM audit_log WHERE actor_id = ?", (eva,)
    )
    assert ("calendar.replace", f"enschede:{occ.entry_id}") in [
        (r["action"], r["target"]) for r in audit
    ]


async def test_a_campaign_made_in_the_dashboard_reaches_exactly_its_audience(
    emu: BotApiEmulator, bot: BotHarness, browser: Browser, clock: Clock
) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede", locale="nl")
    dutch = await subscriber(emu, bot, "enschede", {"burglary"})
    english = await subscriber(emu, bot, "enschede", {"alerts"}, locale="en")
    group = await subscriber(emu, bot, "enschede", {"burglary"}, group=True)
    hengelo = await subscriber(emu, bot, "hengelo", {"burglary"})
    await sign_in(browser, emu, eva)
    await browser.click('a[href$="/campaigns"]')
    await browser.click('a[href$="/campaigns/new"]')
    await browser.type("#text_nl", "Fietsen graveren op het plein, zaterdag 10:00")
    await browser.type("#text_en", "Bike engraving on the square, Saturday 10:00")
    assert await browser.text("#count") == "Deze campagne bereikt 3 chats."
    # The live count follows the audience: only private chats.
    await browser.run((await browser.find("#kinds")).send_keys, "Privéchats")
    await browser.until(
        lambda: (
            browser.driver.find_element("css selector", "#count").text
            == "Deze campagne bereikt 2 chats."
        )
    )
    await browser.click('button[value="save"]')
    await browser.until(lambda: "done=saved" in browser.driver.current_url)
    assert "Fietsen graveren" in await browser.text(".bubble .tg")
    await browser.click("#submit")
    await browser.until(lambda: "/campaigns/1?done=created" in browser.driver.current_url)
    await bot.services.engine.drain()
    await emu.wait_sent(dutch, 1)
    await emu.wait_sent(english, 1)
    await emu.wait_idle()
    assert received(emu, dutch) == ["Fietsen graveren op het plein, zaterdag 10:00"]
    assert received(emu, english) == ["Bike engraving on the square, Saturday 10:00"]
    assert received(emu, group) == [] and received(emu, hengelo) == []
    campaign = await bot.services.campaigns.get(1)
    assert campaign is not None and campaign.author_id == eva and campaign.state == "scheduled"
    assert await bot.services.db.fetchval("SELECT COUNT(*) FROM campaign_drafts") == 0
    # The chat's /campaigns lists the same row.
    emu.send_text(eva, eva, "/campagnes")
    (listing,) = (await emu.wait_sent(eva, len(emu.sent(eva)) + 1))[-1:]
    assert "#1 Fietsen graveren op het plein, zaterdag 10:00" in listing.text


async def test_an_enschede_adviser_gets_403_for_hengelo(
    emu: BotApiEmulator, bot: BotHarness, browser: Browser
) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede", locale="nl")
    await sign_in(browser, emu, eva)
    base = bot.config.dashboard.public_url
    await browser.get(base + "/calendar?m=hengelo")
    assert await browser.text("h1") == "Niet toegestaan"
    await browser.get(base + "/calendar/entry?m=hengelo&entry=x&date=2027-03-03")
    assert await browser.text("h1") == "Niet toegestaan"


async def test_the_mini_app_signs_in_with_telegrams_initdata_and_not_with_a_forged_one(
    emu: BotApiEmulator, bot: BotHarness, browser: Browser, clock: Clock
) -> None:
    """app.js reads initData where Telegram puts it (#tgWebAppData) and posts it."""
    from urllib.parse import quote

    from tests.dashboard.test_access import signed, user_fields

    eva = await adviser(emu, bot, "Eva", "enschede", locale="nl")
    app = bot.config.dashboard.public_url + "/app#tgWebAppData="
    forged = signed(user_fields(eva, clock()), "1:NOT-THIS-BOT")
    await browser.get(app + quote(forged))
    await browser.until(lambda: browser.driver.find_element("id", "failed").is_displayed())
    assert not [c for c in browser.driver.get_cookies() if c["name"] == "buurtwacht_session"]
    await browser.get("about:blank")  # a new fragment alone would not load the page again
    await browser.get(app + quote(signed(user_fields(eva, clock()), emu.token)))
    await browser.until(lambda: browser.driver.current_url.endswith("/dashboard/calendar"))
    assert await browser.text("h1") == "Kalender 2027: Enschede"
