"""/calendar: the adviser's year month by month, with titles in their language, campaigns and
alerts in the same list so that clashes show; and the agenda file of /calendar ics that imports
into Outlook and Google Calendar (one event per moment, not one per municipality)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import icalendar

from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import adviser, labels, press, say, stored_campaign
from tests.harness import BotHarness

NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)  # Wednesday 20 October 2027, 12:00
TIP_DAY = datetime(2027, 11, 2, 18, 0, tzinfo=UTC)  # a dark-days Tuesday, 19:00 in Amsterdam


async def test_month_by_month_with_titles_campaigns_and_alerts(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    campaign = await stored_campaign(bot, eva, {"enschede", "hengelo"}, TIP_DAY)
    await services.alerts.create(eva, "enschede", ["Oost"], NOW - timedelta(days=2), 3)

    (month,) = await say(emu, eva, "/calendar")
    text = month.text or ""
    assert text.startswith("Calendar of Enschede – October 2027")
    assert "🗓 The clocks go back one hour tonight" in text
    assert "⚠️ Neighbourhood alert: Oost (Enschede)" in text
    assert "dark-days" not in text and "winter-time" not in text  # no technical ids
    assert [lb for lb in labels(month) if "▶" in lb] == ["November ▶"]
    assert not [lb for lb in labels(month) if "◀" in lb]  # nothing before this month

    await press(emu, eva, "November ▶")
    november = emu.message(eva, month.message_id)
    lines = (november.text or "").splitlines()
    assert lines[0] == "Calendar of Enschede – November 2027"
    # The campaign and the weekly tip share Tuesday 2 November: both lines are marked.
    clash = [line for line in lines if "Tue 2 Nov 19:00" in line]
    assert len(clash) == 2 and all(line.startswith("❗") for line in clash)
    assert any(f"📣 Campaign #{campaign.id}: Lock the door" in line for line in clash)

    for _month in range(10):
        await press(emu, eva, next(lb for lb in labels(emu.last(eva)) if "▶" in lb))
    last = emu.message(eva, month.message_id)
    assert (last.text or "").startswith("Calendar of Enschede – September 2028")
    assert not [lb for lb in labels(last) if "▶" in lb]  # twelve months, no more
    await press(emu, eva, "◀ August")
    assert "August 2028" in (emu.message(eva, month.message_id).text or "")


async def test_skip_from_the_month_view_and_back(emu: BotApiEmulator, bot: BotHarness) -> None:
    services = bot.services
    services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    (month,) = await say(emu, eva, "/calendar")
    first = labels(month)[0]
    await press(emu, eva, first)
    view = emu.message(eva, month.message_id)
    assert "default text" in (view.text or "")
    skip_once = next(
        b["callback_data"]
        for row in view.reply_markup["inline_keyboard"]
        for b in row
        if b["text"] == "Skip this time"
    )
    await press(emu, eva, "Skip this time")
    skipped = emu.message(eva, month.message_id)
    assert "skipped this time" in (skipped.text or "")
    # Only what would change something is offered: "Skip always", not "Skip this time" again.
    assert "Skip this time" not in labels(skipped) and "Skip always" in labels(skipped)
    edits = skipped.edits
    # A double tap (the second press on the keyboard before the edit): already so, nothing breaks.
    query = emu.press_button(eva, eva, month.message_id, skip_once)
    answer = await emu.wait_answer(query)
    assert not answer["text"] and emu.message(eva, month.message_id).edits == edits
    await press(emu, eva, "Skip always")
    always = emu.message(eva, month.message_id)
    assert "always skipped" in (always.text or "")
    assert not {"Skip this time", "Skip always"} & set(labels(always))
    await press(emu, eva, "Back to the default")
    await press(emu, eva, "Skip this time")
    await press(emu, eva, "Back to the month")
    assert labels(emu.message(eva, month.message_id))[0] == "⛔ " + first
    await press(emu, eva, "⛔ " + first)
    await press(emu, eva, "Back to the default")
    await press(emu, eva, "Back to the month")
    assert labels(emu.message(eva, month.message_id))[0] == first


async def test_the_calendar_in_dutch(emu: BotApiEmulator, bot: BotHarness) -> None:
    bot.services.now = lambda: NOW
    dirk = await adviser(emu, bot, "Dirk", "enschede", locale="nl")
    (month,) = await say(emu, dirk, "/kalender")
    assert (month.text or "").startswith("Kalender van Enschede – oktober 2027")
    assert "Vannacht gaat de klok een uur terug" in (month.text or "")
    assert "november ▶" in labels(month)


def _events(data: bytes) -> tuple[icalendar.Calendar, list[icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(data)
    return calendar, list(calendar.walk("VEVENT"))


def _valid_for_agendas(calendar: icalendar.Calendar, events: list[icalendar.Event]) -> None:
    """What Outlook and Google Calendar need, and no doubles."""
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    zones = {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")}
    for event in events:
        assert event["DTSTAMP"].to_ical().endswith(b"Z")
        assert event["DTSTART"].params["TZID"] in zones
        assert event.decoded("DTEND") > event.decoded("DTSTART")
    uids = Counter(str(e["UID"]) for e in events)
    assert not [uid for uid, n in uids.items() if n > 1]
    moments = Counter((str(e["SUMMARY"]), e.decoded("DTSTART")) for e in events)
    assert not [moment for moment, n in moments.items() if n > 1]


async def test_ics_one_event_per_moment_in_the_readers_language(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    services = bot.services
    services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    dirk = await adviser(emu, bot, "Dirk", "enschede", locale="nl")
    campaign = await stored_campaign(bot, eva, {"enschede"}, TIP_DAY)
    # Enschede skips one entry always: the region's events for it no longer name Enschede.
    await services.outbox.set_override("enschede", "week-van-de-veiligheid", "skip")

    (document,) = await say(emu, admin, "/calendar ics")
    assert document.document is not None
    calendar, events = _events(document.document.data)
    _valid_for_agendas(calendar, events)
    assert 40 <= len(events) <= 120  # not 14 × every moment
    by_title = {str(e["SUMMARY"]): e for e in events}
    clocks = by_title["The clocks go back one hour tonight"]
    assert str(clocks["DESCRIPTION"]).startswith("For: the whole region")
    assert [str(c) for c in clocks["CATEGORIES"].cats] == [
        "Calendar message",
        "Burglary prevention",
    ]
    safety = next(e for t, e in by_title.items() if t.startswith("It is Week van de Veiligheid"))
    assert "Enschede" not in str(safety["DESCRIPTION"]).split("\n")[0]
    assert "Hengelo" in str(safety["DESCRIPTION"]).split("\n")[0]
    campaign_event = by_title[f"Campaign #{campaign.id}: Lock the door"]
    assert str(campaign_event["DESCRIPTION"]).startswith("For: Enschede")

    (document,) = await say(emu, admin, "/calendar ics Hengelo")
    assert document.document is not None
    _calendar, hengelo = _events(document.document.data)
    assert all(str(e["DESCRIPTION"]).startswith("For: Hengelo") for e in hengelo)
    assert f"Campaign #{campaign.id}: Lock the door" not in {str(e["SUMMARY"]) for e in hengelo}

    (document,) = await say(emu, dirk, "/kalender ics")
    assert document.document is not None
    calendar, dutch = _events(document.document.data)
    _valid_for_agendas(calendar, dutch)
    titles = {str(e["SUMMARY"]) for e in dutch}
    assert "Vannacht gaat de klok een uur terug" in titles
    assert not [t for t in titles if t.startswith("Het is de Week van de Veiligheid")]  # skipped
    categories = {str(c) for e in dutch for c in e["CATEGORIES"].cats}
    assert {"Kalenderbericht", "Inbraakpreventie", "Campagne"} <= categories
