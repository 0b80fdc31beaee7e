"""The buttons under broadcasts, end to end: a calendar message delivered through the planner,
the engine, PTB and the emulator carries 👍/👎 and "Share in your WhatsApp group"; presses are
counted once per chat, only on the delivered message, by a member of the chat; /stats, the
report and /calendar show the figures; an admin turns the buttons off per entry; /forgetme
and /stop leave the votes as unlinkable counts."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.advisers.broadcasts import schedule_campaign, send_alert
from bot.advisers.texts import title_of
from bot.cli import main as cli
from bot.feedback.buttons import share_data, vote_data
from bot.feedback.share import MAX_URL_LENGTH
from bot.handlers.feedback import close_votes
from bot.sandbox.emulator import BotApiEmulator
from messages.telegram_html import plain_text
from scheduler.delivery import Audience, Content
from tests.advisers.helpers import config_file
from tests.delivery.test_calendar_delivery import NEW_YEARS_EVE, Clock, deliver_due, subscriber
from tests.delivery.test_photo_delivery import tiny_png
from tests.harness import BotHarness, make_config

KEY = f"{NEW_YEARS_EVE}:2026-12-31:enschede"
UP_NL, DOWN_NL = "👍 Nuttig", "👎 Niet nuttig"
UP_EN, DOWN_EN = "👍 Useful", "👎 Not useful"
SHARE_EN, SHARE_NL = "📲 Share in your WhatsApp group…", "📲 Delen in je WhatsApp-groep…"


@pytest.fixture
def clock() -> Clock:
    return Clock("2026-12-31 12:00")


@asynccontextmanager
async def running(
    emu: BotApiEmulator, tmp_path: Path, clock: Clock, **sections: dict[str, Any]
) -> AsyncIterator[BotHarness]:
    """The bot with the example configuration plus `sections`, on the test's clock."""
    config = make_config(tmp_path, calendar={"catch_up_hours": 6}, **sections)
    async with BotHarness(emu, config, clock=clock) as harness:
        yield harness


@pytest.fixture
async def harness(
    emu: BotApiEmulator, tmp_path: Path, clock: Clock, admin: int
) -> AsyncIterator[BotHarness]:
    async with running(
        emu, tmp_path, clock, admins={"user_ids": [admin]}, feedback={"min_votes": 2}
    ) as h:
        yield h


@pytest.fixture
def admin(emu: BotApiEmulator) -> int:
    user = emu.add_user("Ada", language_code="en").id
    emu.open_private_chat(user)
    return user


async def group_with(emu: BotApiEmulator, h: BotHarness, admin: int, members: list[int]) -> int:
    """A subscribed Enschede group (Dutch) with these members."""
    chat_id = emu.add_group("Buurtpreventie Oost", admins=[admin], members=members).id
    await emu.wait_sent(chat_id, 1)  # the bot's introduction
    await h.services.chats.ensure(chat_id, "group", "nl")
    await h.services.chats.subscribe(
        chat_id,
        municipality="enschede",
        neighbourhood=None,
        topics=frozenset({"burglary"}),
        locale="nl",
    )
    return chat_id


async def new_years_eve(h: BotHarness, clock: Clock) -> None:
    """Plan the calendar and deliver the New Year's Eve message (16:00, topic "all")."""
    await h.services.planner.plan()
    clock.set("2026-12-31 16:00")
    await deliver_due(h)


def labels(emu: BotApiEmulator, chat_id: int) -> list[list[str]]:
    return [[label for label, _data in row] for row in emu.last(chat_id).buttons()]


async def press(emu: BotApiEmulator, user: int, chat: int, label: str) -> str:
    """Press a button on the chat's last message; the toast the bot answered with."""
    answer = await emu.wait_answer(emu.press(user, chat, emu.last(chat).message_id, label))
    return str(answer.get("text") or "")


async def forge(emu: BotApiEmulator, user: int, chat: int, message_id: int, data: str) -> str:
    answer = await emu.wait_answer(emu.press_button(user, chat, message_id, data))
    return str(answer.get("text") or "")


async def stored(h: BotHarness) -> list[dict[str, Any]]:
    rows = await h.services.db.fetchall("SELECT * FROM feedback ORDER BY id")
    return [dict(row) for row in rows]


async def say(emu: BotApiEmulator, user: int, text: str) -> str:
    before = len(emu.sent(user))
    emu.send_text(user, user, text)
    return "\n".join(m.text for m in (await emu.wait_sent(user, before + 1))[before:])


OUTDATED = "This button is outdated. Use /settings or /help to continue."
OUTDATED_NL = "Deze knop is verouderd. Ga verder met /instellingen of /hulp."


async def test_a_coordinator_chooses_so_in_start_and_gets_the_share_button(
    emu: BotApiEmulator, tmp_path: Path, clock: Clock
) -> None:
    # Calendar messages of this topic are not shared for everyone in this deployment.
    async with running(emu, tmp_path, clock, sharing={"topics": ["valuables"]}) as h:
        resident = await subscriber(emu, h, "enschede", {"burglary"})
        coordinator = emu.add_user("Cora", language_code="en").id
        await say(emu, coordinator, "/start")
        await press(emu, coordinator, coordinator, "Enschede")
        await press(emu, coordinator, coordinator, "Whole municipality")
        assert "WhatsApp neighbourhood group" in emu.last(coordinator).text
        await press(emu, coordinator, coordinator, "⬜ I coordinate a WhatsApp neighbourhood group")
        assert ["✅ I coordinate a WhatsApp neighbourhood group"] in labels(emu, coordinator)
        await press(emu, coordinator, coordinator, "Confirm")
        assert "WhatsApp group coordinator: yes" in emu.last(coordinator).text
        chat = await h.services.chats.get(coordinator)
        assert chat is not None and chat.coordinator

        await new_years_eve(h, clock)
        assert labels(emu, resident) == [[UP_NL, DOWN_NL]]
        assert labels(emu, coordinator) == [[UP_EN, DOWN_EN], [SHARE_EN]]
        # The share press of a button the resident was not given counts nothing.
        message = emu.last(resident).message_id
        assert await forge(emu, resident, resident, message, share_data(KEY)) == OUTDATED_NL
        assert await stored(h) == []
        assert await press(emu, coordinator, coordinator, SHARE_EN) != ""
        assert [r["kind"] for r in await stored(h)] == ["share"]

        # Stopping ends being a coordinator with the rest of the subscription.
        await say(emu, coordinator, "/stop")
        await press(emu, coordinator, coordinator, "Yes, stop")
        chat = await h.services.chats.get(coordinator)
        assert chat is not None and not chat.coordinator


async def test_alerts_carry_the_share_button_and_no_votes(
    emu: BotApiEmulator, tmp_path: Path, clock: Clock
) -> None:
    async with running(emu, tmp_path, clock) as h:
        group = await subscriber(emu, h, "enschede", {"burglary", "alerts"}, group=True)
        municipality = h.services.config.municipality("enschede")
        assert municipality is not None
        await send_alert(h.services, 1, municipality, [], "Inbraak in de <b>Lasondersingel</b>")
        await h.services.engine.drain()
        assert "Inbraak in de Lasondersingel" in emu.last(group).text
        assert labels(emu, group) == [[SHARE_NL]]


async def test_a_campaign_carries_votes_and_the_share_button(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    services = harness.services
    campaign = await services.campaigns.create(
        1,
        Content({"nl": "<b>Buurtavond</b> op 12 maart", "en": "<b>Neighbourhood evening</b>"}),
        Audience(frozenset({"enschede"})),
        services.now(),
        "scheduled",
    )
    await schedule_campaign(services, campaign)
    await services.engine.drain()
    assert emu.last(anna).text == "Neighbourhood evening"
    assert labels(emu, anna) == [[UP_EN, DOWN_EN], [SHARE_EN]]
    assert await press(emu, anna, anna, UP_EN) == "Thanks, noted: 👍"
    rows = await stored(harness)
    assert [(r["broadcast_key"], r["value"]) for r in rows] == [(campaign.key, 1)]


async def test_a_photo_keeps_its_buttons_when_telegram_s_file_id_is_reused(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock, tmp_path: Path
) -> None:
    residents = [
        await subscriber(emu, harness, "enschede", {"burglary"}, locale="en") for _ in range(3)
    ]
    services = harness.services
    poster = tiny_png(tmp_path / "poster.png")
    campaign = await services.campaigns.create(
        1,
        Content({"nl": "<b>Buurtavond</b>", "en": "<b>Neighbourhood evening</b>"}, image=poster),
        Audience(frozenset({"enschede"})),
        services.now(),
        "scheduled",
    )
    await schedule_campaign(services, campaign)
    await services.engine.drain()
    # One upload, then Telegram's file_id: the buttons go with both kinds of send.
    assert emu.stats.uploads == 1
    for resident in residents:
        assert emu.last(resident).photo is not None
        assert labels(emu, resident) == [[UP_EN, DOWN_EN], [SHARE_EN]]


async def test_one_vote_per_chat_changeable_and_stored_without_the_chat(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock, admin: int
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    kees = emu.add_user("Kees").id
    lot = emu.add_user("Lot").id
    group = await group_with(emu, harness, admin, [kees, lot])
    await new_years_eve(harness, clock)

    assert await press(emu, anna, anna, UP_EN) == "Thanks, noted: 👍"
    assert await press(emu, anna, anna, UP_EN) == "Already noted: 👍"
    assert await press(emu, anna, anna, DOWN_EN) == "Changed to 👎"
    # In a group the vote is the group's: any member sets it, the last press counts.
    assert await press(emu, kees, group, UP_NL) == "Bedankt, genoteerd: 👍"
    assert await press(emu, lot, group, DOWN_NL) == "Veranderd in 👎"

    rows = await stored(harness)
    assert [(r["kind"], r["broadcast_key"], r["municipality"], r["value"]) for r in rows] == [
        ("vote", KEY, "enschede", -1),
        ("vote", KEY, "enschede", -1),
    ]
    for row in rows:  # neither chat nor user appears in the row
        assert not {str(anna), str(group), str(kees), str(lot)} & {str(v) for v in row.values()}
        assert len(row["chat_hash"]) == 64


async def test_forged_presses_are_refused_and_change_nothing(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock, admin: int
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    await say(emu, anna, "/help")  # so that her messages have other ids than Bram's
    bram = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    kees = emu.add_user("Kees").id
    group = await group_with(emu, harness, admin, [kees])
    introduction = emu.last(group).message_id
    await new_years_eve(harness, clock)
    message = emu.last(anna).message_id
    assert message != emu.last(bram).message_id
    up = vote_data(KEY, True)

    # The right data on another bot message in the same chat (the group's introduction).
    assert await forge(emu, kees, group, introduction, up) == OUTDATED_NL
    # Anna's message id and data, pressed in Bram's chat: no delivery there has that id.
    assert await forge(emu, bram, bram, message, up) == OUTDATED
    # A key that names no broadcast of this message.
    assert await forge(emu, anna, anna, message, "fb:000000000000:up") == OUTDATED
    assert await forge(emu, anna, anna, message, vote_data(KEY + "x", False)) == OUTDATED
    # Someone Telegram does not report as a member of the group (getChatMember: not found).
    emu.fail_next(
        group, "bad_request", description="Bad Request: user not found", method="getChatMember"
    )
    group_message = emu.last(group).message_id
    assert await forge(emu, kees, group, group_message, up) == OUTDATED_NL
    # A chat that stopped: its earlier votes were unlinked, a new one would count twice.
    await harness.services.chats.unsubscribe(bram)
    assert await forge(emu, bram, bram, emu.last(bram).message_id, up) == OUTDATED
    assert await stored(harness) == []

    # The same press by a member, on the delivered message, counts.
    assert await forge(emu, kees, group, group_message, up) == "Bedankt, genoteerd: 👍"
    assert len(await stored(harness)) == 1


async def test_a_share_press_answers_with_the_whatsapp_link_and_is_counted(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    await new_years_eve(harness, clock)
    message = emu.last(anna)
    assert labels(emu, anna) == [[UP_EN, DOWN_EN], [SHARE_EN]]

    toast = await press(emu, anna, anna, SHARE_EN)
    assert toast == "Tap “Open WhatsApp” under the message and choose your group."
    edited = emu.message(anna, message.message_id)
    (votes, (share,)) = edited.buttons()
    assert [label for label, _ in votes] == [UP_EN, DOWN_EN]  # the votes stay
    label, url = share
    assert label == "📲 Open WhatsApp" and url is not None and len(url) <= MAX_URL_LENGTH
    (text,) = parse_qs(urlsplit(url).query)["text"]
    entry = harness.services.calendar.get(NEW_YEARS_EVE)
    assert text == plain_text(entry.texts["en"], links=True)

    # A repeated press (forged: the button is a link now) is not counted twice.
    assert await forge(emu, anna, anna, message.message_id, share_data(KEY)) == toast
    rows = await stored(harness)
    assert [(r["kind"], r["broadcast_key"], r["municipality"]) for r in rows] == [
        ("share", KEY, "enschede")
    ]
    # The vote buttons still work on the edited message.
    assert await press(emu, anna, anna, UP_EN) == "Thanks, noted: 👍"


async def test_stats_report_and_calendar_show_the_figures(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock, admin: int, tmp_path: Path
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    bram = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    cees = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    await new_years_eve(harness, clock)
    await press(emu, anna, anna, DOWN_EN)
    await press(emu, bram, bram, DOWN_EN)
    await press(emu, bram, bram, SHARE_EN)
    await press(emu, cees, cees, SHARE_EN)

    stats = await say(emu, admin, "/stats")
    line = "delivered 3 · votes 2 · 👍 0% · shares 2"
    # /stats names a calendar message by its title in the reader's language.
    title = title_of(harness.services.calendar.get(NEW_YEARS_EVE).text("en"))
    assert f"{title}: {line}" in stats
    assert f"End of the year: {line}" in stats  # the theme: the entry's calendar file

    assert (
        await asyncio.to_thread(
            cli,
            [
                "report",
                "--from",
                "2026-12-01",
                "--to",
                "2026-12-31",
                "--config",
                config_file(tmp_path, harness.config),
                "--out",
                str(tmp_path / "report"),
                "--locale",
                "en",
            ],
        )
        == 0
    )
    rows = list(csv.DictReader((tmp_path / "report" / "report.csv").open(encoding="utf-8")))
    figures = {
        (r["section"], r["item"], r["metric"]): r["value"]
        for r in rows
        if r["section"].startswith("feedback")
    }
    for section, item in (("feedback_calendar", NEW_YEARS_EVE), ("feedback_theme", "year_end")):
        assert figures[(section, item, "delivered")] == "3"
        assert figures[(section, item, "votes")] == "2"
        assert figures[(section, item, "useful_share")] == "0.0"
        assert figures[(section, item, "shares")] == "2"
    summary = (tmp_path / "report" / "report.md").read_text("utf-8")
    assert "- Votes: 2 (useful: 0), shares in WhatsApp groups: 2" in summary
    assert "| End of the year | 3 | 2 | 0 % | 2 |" in summary

    # Two votes reach min_votes (2 here): /calendar marks the entry for Enschede's adviser.
    await harness.services.roles.grant(anna, "adviser", ["enschede"], label="Anna")
    clock.set("2026-12-31 15:00")  # before today's occurrence, so the list shows it
    before = len(emu.sent(anna))
    emu.send_text(anna, anna, "/calendar")
    (listing,) = (await emu.wait_sent(anna, before + 1))[before:]
    marked = [label for row in listing.buttons() for label, _ in row if title in label]
    assert marked and all(label.startswith("📉0% ") for label in marked)
    assert f"📉0% {title}" in listing.text  # the month's list marks it too, with a legend
    assert "📉 = rated low by readers in Enschede" in listing.text
    # Choosing it shows the entry id that /buttons off takes.
    await press(emu, anna, anna, marked[0])
    assert f"Entry id: {NEW_YEARS_EVE}" in emu.last(anna).text


async def test_an_admin_turns_the_buttons_off_per_entry(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock, admin: int
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    refused = await say(emu, anna, f"/buttons off {NEW_YEARS_EVE}")
    assert "not allowed" in refused

    reply = await say(emu, admin, f"/buttons off {NEW_YEARS_EVE}")
    assert reply == f"From the next one on, the messages of {NEW_YEARS_EVE} carry no buttons."
    assert NEW_YEARS_EVE in await say(emu, admin, "/buttons")
    assert await say(emu, admin, "/buttons off nope") == "There is no calendar entry nope."
    audit = await harness.services.db.fetchall(
        "SELECT actor_id, action, target, outcome FROM audit_log WHERE action = 'buttons' "
        "OR action LIKE 'buttons.%' ORDER BY id"
    )
    assert [tuple(r) for r in audit] == [
        (anna, "buttons", NEW_YEARS_EVE, "refused"),
        (admin, "buttons.off", NEW_YEARS_EVE, "ok"),
    ]

    await new_years_eve(harness, clock)
    assert emu.last(anna).reply_markup is None
    assert "carry the 👍/👎 and share buttons again" in await say(
        emu, admin, f"/buttons on {NEW_YEARS_EVE}"
    )


async def test_forgetme_and_stop_leave_only_unlinkable_counts(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock, admin: int
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    kees = emu.add_user("Kees").id
    group = await group_with(emu, harness, admin, [kees])
    await new_years_eve(harness, clock)
    await press(emu, anna, anna, UP_EN)
    await press(emu, anna, anna, SHARE_EN)
    await press(emu, kees, group, UP_NL)
    hashes = [r["chat_hash"] for r in await stored(harness)]
    assert all(hashes)

    def on_disk(chat_hashes: list[str]) -> list[str]:
        """Those of the hashes still in the database file or its WAL."""
        db = Path(harness.config.storage.path)
        files = b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())
        return [h for h in chat_hashes if h.encode() in files]

    # While linked, the votes are Anna's data: /mydata lists them.
    before = len(emu.sent(anna))
    emu.send_text(anna, anna, "/mydata")
    # A readable summary, then the JSON file.
    (summary, export) = (await emu.wait_sent(anna, before + 2))[before:]
    assert "What I store about you" in (summary.text or "")
    assert export.document is not None
    assert json.loads(export.document.data)["votes_and_shares"] == [
        {"kind": "vote", "message": KEY, "value": 1},
        {"kind": "share", "message": KEY, "value": 1},
    ]
    assert json.loads(export.document.data)["subscription"]["coordinator"] is False

    await say(emu, anna, "/forgetme")
    await press(emu, anna, anna, "Yes, delete my data")
    await emu.wait_idle()  # the press is answered first, then the data is erased
    assert [r["chat_hash"] for r in await stored(harness)] == [None, None, hashes[2]]
    assert on_disk(hashes[:2]) == []

    before = len(emu.sent(group))
    emu.send_text(admin, group, "/stop")
    await emu.wait_sent(group, before + 1)
    await press(emu, admin, group, "Ja, stoppen")
    rows = await stored(harness)
    assert [(r["kind"], r["value"], r["chat_hash"]) for r in rows] == [
        ("vote", 1, None),
        ("share", 1, None),
        ("vote", 1, None),
    ]
    assert on_disk(hashes) == []


async def test_votes_close_after_vote_days_and_lose_their_link(
    emu: BotApiEmulator, harness: BotHarness, clock: Clock
) -> None:
    anna = await subscriber(emu, harness, "enschede", {"burglary"}, locale="en")
    await new_years_eve(harness, clock)
    await press(emu, anna, anna, UP_EN)
    days = harness.config.feedback.vote_days
    clock.t += timedelta(days=days - 1)
    assert await close_votes(harness.services) == 0
    assert await press(emu, anna, anna, DOWN_EN) == "Changed to 👎"
    clock.t += timedelta(days=2)
    assert await close_votes(harness.services) == 1
    assert await press(emu, anna, anna, UP_EN) == "Voting on this message has closed. Thank you!"
    assert [(r["value"], r["chat_hash"]) for r in await stored(harness)] == [(-1, None)]
