"""Tailoring the calendar for one municipality only, and the .ics export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar

from bot.sandbox.emulator import BotApiEmulator
from scheduler.delivery import Audience, Content
from scheduler.planner import PlannedBroadcast
from tests.advisers.helpers import adviser, press, say
from tests.harness import BotHarness

NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)


async def test_skip_and_replace_for_one_municipality_only(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    (listing,) = await say(emu, eva, "/kalender")
    assert "Calendar of Enschede, next 30 days" in (listing.text or "")
    data = listing.buttons()[0][0][1]
    assert data is not None
    _cal, _o, _index, day_text, entry_id = data.split(":", 4)
    day = datetime.strptime(day_text, "%Y%m%d").date()
    await press(emu, eva, 0)
    view = emu.message(eva, listing.message_id)
    assert entry_id in (view.text or "") and "default text" in (view.text or "")

    resolve = services.planner.resolvers["calendar"]  # type: ignore[index]

    async def resolved(municipality: str, on: date) -> Content | str:
        at = datetime(on.year, on.month, on.day, 17, 0, tzinfo=UTC)
        result = await resolve(PlannedBroadcast("k", "calendar", entry_id, municipality, at))
        return result if isinstance(result, str) else result[0]

    await press(emu, eva, "Skip this time")
    assert "skipped this time" in (emu.message(eva, listing.message_id).text or "")
    assert await resolved("enschede", day) == "skipped by enschede"
    assert isinstance(await resolved("hengelo", day), Content)

    await press(emu, eva, "Back to the default")
    assert isinstance(await resolved("enschede", day), Content)

    await press(emu, eva, "Replace text", replies=1)
    await say(emu, eva, "Ons eigen bericht voor Enschede")
    content = await resolved("enschede", day)
    assert isinstance(content, Content) and content.text("en") == "Ons eigen bericht voor Enschede"
    other = await resolved("hengelo", day)
    assert isinstance(other, Content) and other.text("en") != content.text("en")
    actions = [e.action for e in await services.audit.latest()]
    assert {"calendar.skip", "calendar.default", "calendar.replace"} <= set(actions)


async def test_calendar_ics_has_entries_and_campaigns(emu: BotApiEmulator, bot: BotHarness) -> None:
    bot.services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    campaign = await bot.services.campaigns.create(
        eva,
        Content({"nl": "Doe de deur op slot", "en": "Lock the door"}),
        Audience(frozenset({"enschede"})),
        NOW + timedelta(days=2),
        "scheduled",
    )
    (document,) = await say(emu, eva, "/calendar ics")
    assert document.document is not None
    calendar = icalendar.Calendar.from_ical(document.document.data)
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    assert len(uids) > 20 and f"{campaign.key}@buurtwacht" in uids
    assert all(uid.endswith(":enschede@buurtwacht") for uid in uids if uid.count(":") > 1)


async def test_a_replacement_that_cannot_go_out_is_refused(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """Found by fuzzing: a 1,100-character replacement was stored (and then every view of it
    failed "message is too long"); a calendar text must fit as a caption, 1,024 characters."""
    bot.services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    await say(emu, eva, "/calendar")
    await press(emu, eva, 0)
    await press(emu, eva, "Replace text", replies=1)
    (reply,) = await say(emu, eva, "x" * 1100)
    assert "too long: at most 1024 characters" in (reply.text or "")
    assert await bot.services.outbox.overrides() == []
    (view,) = await say(emu, eva, "x" * 1024)  # still asked for the text: this one fits
    assert "own text for Enschede" in (view.text or "")
