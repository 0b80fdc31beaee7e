"""Tailoring the calendar for one municipality only."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.advisers.texts import title_of
from bot.sandbox.emulator import BotApiEmulator
from scheduler.delivery import Content
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
    assert "Calendar of Enschede – October 2027" in (listing.text or "")
    data = listing.buttons()[0][0][1]
    assert data is not None
    _cal, _o, _index, day_text, entry_id = data.split(":", 4)
    day = datetime.strptime(day_text, "%Y%m%d").date()
    await press(emu, eva, 0)
    view = emu.message(eva, listing.message_id)
    title = title_of(services.calendar.get(entry_id).text("en"))
    assert title in (view.text or "") and "default text" in (view.text or "")

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
    # Over the calendar's 1024 characters (an entry may go out as a photo caption): refused,
    # nothing stored, and the next text is still taken as the replacement.
    (refusal,) = await say(emu, eva, "x" * 1100)
    assert "Telegram would not accept this text" in (refusal.text or "")
    assert "1100 characters, 76 more than the 1024 Telegram allows" in (refusal.text or "")
    assert await services.outbox.overrides("enschede") == []
    await say(emu, eva, "Ons eigen bericht voor Enschede")
    content = await resolved("enschede", day)
    assert isinstance(content, Content) and content.text("en") == "Ons eigen bericht voor Enschede"
    other = await resolved("hengelo", day)
    assert isinstance(other, Content) and other.text("en") != content.text("en")
    actions = [e.action for e in await services.audit.latest()]
    assert {"calendar.skip", "calendar.default", "calendar.replace"} <= set(actions)


async def test_a_local_entry_is_written_by_the_adviser_and_never_sent_half_done(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW  # 20 October 2027: the prevention evening (11 November) is listed
    eva = await adviser(emu, bot, "Eva", "enschede")
    await say(emu, eva, "/kalender")
    await press(emu, eva, "November ▶")
    listing = emu.last(eva)
    (row,) = [
        i
        for i, row in enumerate(listing.buttons())
        if (row[0][1] or "").endswith(":local-prevention-evening")
    ]
    assert listing.buttons()[row][0][0].startswith("📝 ")
    await press(emu, eva, row)
    view = emu.last(eva).text or ""
    assert "an example: not sent until you replace it for Enschede" in view
    assert "[plaats]" in view or "[place]" in view

    resolve = services.planner.resolvers["calendar"]  # type: ignore[index]
    due = datetime(2027, 11, 11, 18, 0, tzinfo=UTC)
    broadcast = PlannedBroadcast("k", "calendar", "local-prevention-evening", "enschede", due)
    assert await resolve(broadcast) == "local entry, not written yet by enschede"

    await press(emu, eva, "Replace text", replies=1)
    (refusal,) = await say(emu, eva, "Preventieavond op [datum] in {stad}")
    assert "[datum], {stad}" in (refusal.text or "") and "/cancel" in (refusal.text or "")
    assert await resolve(broadcast) == "local entry, not written yet by enschede"

    await say(emu, eva, "Preventieavond op 11 november in de bibliotheek van {municipality}")
    content = await resolve(broadcast)
    assert not isinstance(content, str)
    assert content[0].text("nl") == "Preventieavond op 11 november in de bibliotheek van Enschede"


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
    refused = "the text is 1100 characters, 76 more than the 1024 Telegram allows"
    assert refused in (reply.text or "")
    assert await bot.services.outbox.overrides() == []
    (view,) = await say(emu, eva, "x" * 1024)  # still asked for the text: this one fits
    assert "own text for Enschede" in (view.text or "")
