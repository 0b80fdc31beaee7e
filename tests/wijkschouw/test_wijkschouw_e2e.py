"""The wijkschouw end to end: the organiser starts it in the group, neighbours join and report
findings in private chats (photos with GPS tags, shared locations, typed streets), the organiser
closes it, the group gets the summary and the prevention team the report, the files and the map,
and the team marks the findings."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli import main
from bot.inspection_reports import catch_up
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.media import CAMERA
from bot.sandbox.state import SentMessage
from tests.advice.flow import labels, make_team, press, say
from tests.advisers.helpers import config_file
from tests.harness import BotHarness
from tests.wijkschouw.flow import (
    Neighbourhood,
    gps_jpeg,
    metadata,
    neighbourhood,
    report,
    report_link,
    start_walk,
)

ROOMBEEK = (52.22803, 6.89612)
NEAR = (52.22841, 6.89705)


def walk_date(bot: BotHarness, days: int = 7) -> str:
    when = bot.services.now().astimezone(bot.config.locale.tz) + timedelta(days=days)
    return when.strftime("%d-%m-%Y") + " 19:00"


async def test_walk_from_invitation_to_team_report(emu: BotApiEmulator, bot: BotHarness) -> None:
    team, lead, member = await make_team(emu, bot)
    hood = await neighbourhood(emu, bot, members=2)
    anna, bram = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} playground Kerkstraat")
    assert "Wijkschouw Noord (Enschede)" in post.text and "playground Kerkstraat" in post.text
    assert "0 neighbours are joining" in post.text
    assert labels(post)[0] == "✋ I'm joining (0)"

    await press(emu, anna, hood.group, "✋ I'm joining (0)", post)
    post = emu.message(hood.group, post.message_id)
    assert labels(post)[0] == "✋ I'm joining (1)" and "1 neighbour is joining" in post.text
    assert "Anna" not in post.text and "Neighbour0" not in post.text

    payload = report_link(post)
    photo = gps_jpeg()
    saved = await report(
        emu, anna, payload, "💡 Lighting", photo=photo, location=ROOMBEEK, note="lamp is broken"
    )
    assert "Saved as finding #1" in saved
    saved = await report(
        emu, bram, payload, "🌳 Greenery", street="Kerkstraat 12", note="hedge hides the door"
    )
    assert "Saved as finding #2" in saved
    saved = await report(emu, bram, payload, "🚲 Bikes", location=NEAR)
    assert "Saved as finding #3" in saved
    # Bram reported, so he takes part; Anna joined: two.
    assert labels(emu.message(hood.group, post.message_id))[0] == "✋ I'm joining (2)"

    stored = await bot.services.inspections.findings(
        (await bot.services.inspections.open_in(hood.group)).id  # type: ignore[union-attr]
    )
    assert [f.number for f in stored] == [1, 2, 3]
    assert stored[0].reporter_id == anna and stored[0].photo and stored[1].photo is None
    path = bot.services.media.path(stored[0].photo)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    base, gps, info = metadata(path.read_bytes())
    assert base == {} and gps == {} and "exif" not in info and "comment" not in info
    assert CAMERA.encode() not in path.read_bytes()

    # Closing asks the presser; the confirmation counts only for them.
    group_before = len(emu.sent(hood.group))
    await press(emu, hood.organiser, hood.group, "Close the wijkschouw", post)
    confirm = emu.last(hood.group)
    assert "close the wijkschouw now?" in confirm.text and "(3)" in confirm.text
    refused = await press(emu, anna, hood.group, "Yes, close it", confirm)
    assert refused["show_alert"] and "outdated" in str(refused["text"])
    assert (await bot.services.inspections.open_in(hood.group)) is not None
    team_before = len(emu.sent(team.id))
    await press(emu, hood.organiser, hood.group, "Yes, close it", confirm)

    group_new = emu.sent(hood.group)[group_before:]
    summary = next(m for m in group_new if m.text and "closed" in m.text and "#1" in m.text)
    assert "3 findings" in summary.text and "2 neighbours took part" in summary.text
    assert "💡 Lighting 1 · 🌳 Greenery 1 · 🚲 Bikes 1" in summary.text
    assert "#2 🌳 Greenery – Kerkstraat 12: hedge hides the door" in summary.text
    assert "prevention team of Enschede" in summary.text
    for name in ("Anna", "Bram", "Neighbour0", "Neighbour1", "Olga"):
        assert name not in summary.text
    post = emu.message(hood.group, post.message_id)
    assert "closed" in post.text and post.flat_buttons() == []

    sent = emu.sent(team.id)[team_before:]
    text, *rest = sent
    assert "Wijkschouw report: Noord (Enschede)" in text.text and "#1 💡 Lighting" in text.text
    assert "openstreetmap.org/?mlat=52.22803&mlon=6.89612" in (text.html or "")
    photos = [m for m in rest if m.photo is not None and m.caption and m.caption.startswith("#")]
    assert len(photos) == 1 and photos[0].caption.startswith("#1 💡 Lighting")
    base, gps, _info = metadata(photos[0].photo.data)  # type: ignore[union-attr]
    assert base == {} and gps == {}
    chart = next(
        m for m in rest if m.photo is not None and m.caption and "Map of 2 findings" in m.caption
    )
    assert chart.photo is not None and chart.photo.data.startswith(b"\x89PNG")
    files = {m.document.filename: m.document.data for m in rest if m.document is not None}
    csv_name = next(n for n in files if n.endswith(".csv"))
    rows = list(csv.DictReader(io.StringIO(files[csv_name].decode("utf-8-sig"))))
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["category"] == "lighting" and rows[0]["latitude"] == "52.22803"
    assert rows[1]["street"] == "Kerkstraat 12" and rows[1]["latitude"] == ""
    assert "reporter" not in ",".join(rows[0]) and str(anna) not in files[csv_name].decode()
    geo = json.loads(files[csv_name.replace(".csv", ".geojson")])
    assert geo["type"] == "FeatureCollection"
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [6.89612, 52.22803]}
    assert geo["features"][1]["geometry"] is None
    board = rest[-1]
    assert "Press a finding to mark it" in board.text
    assert labels(board) == ["#1 💡 open", "#2 🌳 open", "#3 🚲 open"]

    # The team marks #1 solved: a non-member is refused, then a member gives the reason.
    outsider = emu.add_user("Otto", language_code="en").id
    emu.add_member(team.id, outsider)
    query = emu.press(outsider, team.id, board.message_id, "#1 💡 open")
    emu.chat(team.id).members.discard(outsider)
    assert "Only the prevention team" in str((await emu.wait_answer(query))["text"])
    await press(emu, member, team.id, "#1 💡 open", board)
    choice = emu.last(team.id)
    assert labels(choice) == ["forwarded", "solved", "not our task", "Cancel"]
    # The choice is Piet's: Tess, in the same team, pressing on it changes nothing.
    refused = await press(emu, lead, team.id, "solved", choice)
    assert refused["show_alert"] and "outdated" in str(refused["text"])
    await press(emu, member, team.id, "solved", choice)
    question = emu.last(team.id)
    assert "reply to this message with a short reason for finding #1" in question.text
    emu.send_text(lead, team.id, "Not asked of me", reply_to=question.message_id)
    await emu.wait_idle()
    assert (await bot.services.inspections.finding(stored[0].id)).status == "open"  # type: ignore[union-attr]
    group_before = len(emu.sent(hood.group))
    emu.send_text(member, team.id, "The street light works again", reply_to=question.message_id)
    await emu.wait_sent(hood.group, group_before + 1)
    await emu.wait_idle()
    notice = emu.last(hood.group).text
    assert "finding #1" in notice and "solved" in notice and "street light works again" in notice
    assert labels(emu.message(team.id, board.message_id)) == ["#2 🌳 open", "#3 🚲 open"]
    assert "solved 1" in emu.message(team.id, board.message_id).text
    [first, *_] = await bot.services.inspections.findings(stored[0].inspection_id)
    assert (first.status, first.status_reason) == ("solved", "The street light works again")


async def test_who_may_start_and_the_plan_question(emu: BotApiEmulator, bot: BotHarness) -> None:
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    refused = await say(emu, anna, hood.group, f"/wijkschouw {walk_date(bot)} school")
    assert "Only the group's administrators" in refused.text
    [entry] = await bot.services.audit.latest(1)
    assert (entry.action, entry.outcome, entry.actor_id) == ("wijkschouw.start", "refused", anna)
    assert await bot.services.inspections.open_in(hood.group) is None

    # Without arguments the bot asks the organiser (only them) for a reply.
    question = await say(emu, hood.organiser, hood.group, "/inspection")
    assert "reply to this message with the date" in question.text
    assert question.params.get("reply_markup")  # a selective ForceReply
    emu.send_text(anna, hood.group, f"{walk_date(bot)} school", reply_to=question.message_id)
    await emu.wait_idle()
    assert await bot.services.inspections.open_in(hood.group) is None  # not hers to answer
    past = await say_reply(
        emu, hood.organiser, hood.group, question.message_id, "01-01-2020 19:00 x"
    )
    assert "in the past" in past.text
    missing = await say_reply(emu, hood.organiser, hood.group, past.message_id, walk_date(bot))
    assert "meeting point" in missing.text
    await say_reply(emu, hood.organiser, hood.group, missing.message_id, f"{walk_date(bot)} school")
    walk = await bot.services.inspections.open_in(hood.group)
    assert walk is not None and walk.meeting_point == "school" and walk.neighbourhood == "Noord"
    again = await say(emu, hood.organiser, hood.group, f"/wijkschouw {walk_date(bot)} park")
    assert "already has a wijkschouw open" in again.text

    # An adviser of the municipality who is a plain member of another group may start one there.
    adviser = emu.add_user("Ada", language_code="en").id
    await bot.services.roles.grant(adviser, "adviser", ["enschede"], label="Ada")
    other = await neighbourhood(emu, bot, members=0)
    emu.add_member(other.group, adviser)
    await say(emu, adviser, other.group, f"/wijkschouw {walk_date(bot)} park")
    assert await bot.services.inspections.open_in(other.group) is not None

    # A member of the municipality's prevention team may too; an unsubscribed group may not.
    _team, _lead, member = await make_team(emu, bot)
    third = await neighbourhood(emu, bot, members=0)
    emu.add_member(third.group, member)
    await say(emu, member, third.group, f"/wijkschouw {walk_date(bot)} church")
    assert await bot.services.inspections.open_in(third.group) is not None
    bare = emu.add_group("No subscription", admins=[hood.organiser])
    await emu.wait_idle()
    text = (await say(emu, hood.organiser, bare.id, f"/wijkschouw {walk_date(bot)} x")).text
    assert "First subscribe this group" in text
    private = await say(emu, hood.organiser, hood.organiser, "/wijkschouw")
    assert "send /wijkschouw there" in private.text


async def say_reply(emu: BotApiEmulator, user: int, chat: int, to: int, text: str):  # type: ignore[no-untyped-def]
    before = len(emu.sent(chat))
    emu.send_text(user, chat, text, reply_to=to)
    await emu.wait_sent(chat, before + 1)
    await emu.wait_idle()
    return emu.last(chat)


async def test_join_and_report_are_checked(emu: BotApiEmulator, bot: BotHarness) -> None:
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} school")
    payload = report_link(post)
    await press(emu, anna, hood.group, "✋ I'm joining (0)", post)
    answer = await press(
        emu, anna, hood.group, "✋ I'm joining (1)", emu.message(hood.group, post.message_id)
    )
    assert "no longer on the list" in str(answer["text"])
    assert labels(emu.message(hood.group, post.message_id))[0] == "✋ I'm joining (0)"

    # The join data on another message (the bot's answer to /wijkschouw) counts for nothing.
    other = await say(emu, hood.organiser, hood.group, "/wijkschouw")
    walk = await bot.services.inspections.open_in(hood.group)
    assert walk is not None
    forged = await emu.wait_answer(
        emu.press_button(anna, hood.group, other.message_id, f"wsj:{walk.id}")
    )
    assert forged["show_alert"] and "outdated" in str(forged["text"])
    # A member who left is refused, live.
    leaver = emu.add_user("Lena", language_code="en").id
    emu.add_member(hood.group, leaver)
    query = emu.press(leaver, hood.group, post.message_id, "✋ I'm joining (0)")
    emu.chat(hood.group).members.discard(leaver)
    assert "Only members" in str((await emu.wait_answer(query))["text"])
    assert await bot.services.inspections.participant_count(walk.id) == 0
    # Only the organiser or a group admin closes.
    answer = await press(emu, anna, hood.group, "Close the wijkschouw", post)
    assert "Only the organiser" in str(answer["text"])

    # The deep link works for members only, and not with a guessed code.
    text = (await say(emu, leaver, leaver, f"/start {payload}")).text
    assert "Only members of the neighbourhood group" in text
    guessed = (await say(emu, anna, anna, "/start ws_guessed")).text
    assert "This wijkschouw link is not valid" in guessed and "closed" not in guessed

    # A draft survives a restart; a walk closed meanwhile does not take it.
    await say(emu, anna, anna, f"/start {payload}")
    await press(emu, anna, anna, "🚪 Open door, window or garage")
    await bot.restart()
    await press(emu, anna, anna, "No photo")
    assert "Please type a street" in (await say(emu, anna, anna, "!")).text
    await say(emu, anna, anna, "Schoolstraat 3")
    await press(emu, anna, anna, "No note")
    await bot.services.inspections.close(walk.id, bot.services.now())
    await press(emu, anna, anna, "Save")
    assert "closed" in emu.last(anna).text
    assert await bot.services.inspections.findings(walk.id) == []
    assert "finding" not in (bot.app.user_data.get(anna) or {})  # type: ignore[union-attr]


async def test_cancel_keeps_nothing(emu: BotApiEmulator, bot: BotHarness) -> None:
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    payload = report_link(await start_walk(emu, hood, f"{walk_date(bot)} school"))
    await say(emu, anna, anna, f"/start {payload}")
    await press(emu, anna, anna, "💡 Lighting")
    emu.send_photo(anna, anna, data=gps_jpeg())
    await emu.wait_idle()
    cancelled = await say(emu, anna, anna, "/cancel")
    assert "Nothing was saved" in cancelled.text
    assert cancelled.params.get("reply_markup")  # the location keyboard is taken away
    assert "finding" not in (bot.app.user_data.get(anna) or {})  # type: ignore[union-attr]
    assert not bot.services.media.root.exists() or not any(bot.services.media.root.iterdir())


async def close_walk(emu: BotApiEmulator, hood: Neighbourhood, post: SentMessage) -> None:
    await press(emu, hood.organiser, hood.group, "Close the wijkschouw", post)
    await press(emu, hood.organiser, hood.group, "Yes, close it", emu.last(hood.group))


async def test_without_team_the_advisers_get_it_and_mark_it(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    ada = emu.add_user("Ada", language_code="en").id
    await say(emu, ada, ada, "/start")  # her chat's language is known from then on
    await bot.services.roles.grant(ada, "adviser", ["enschede"], label="Ada")
    elsewhere = emu.add_user("Henk", language_code="en").id
    await say(emu, elsewhere, elsewhere, "/start")
    await bot.services.roles.grant(elsewhere, "adviser", ["hengelo"], label="Henk")
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} school")
    await report(emu, anna, report_link(post), "🕳 Hiding place", street="Achter de garages")
    before = len(emu.sent(ada))
    await close_walk(emu, hood, post)
    assert any("municipality of Enschede" in (m.text or "") for m in emu.sent(hood.group))
    sent = emu.sent(ada)[before:]
    assert "Wijkschouw report" in sent[0].text
    assert [m.document.filename.rsplit(".", 1)[1] for m in sent if m.document] == [
        "csv",
        "geojson",
    ]
    assert not any(m.caption and "Map" in m.caption for m in sent)  # no shared location
    assert not any("Wijkschouw report" in (m.text or "") for m in emu.sent(elsewhere))
    board = sent[-1]
    # Henk covers Hengelo, not Enschede: the same data in his chat is refused.
    finding = (await bot.services.inspections.findings(1))[0]
    answer = await emu.wait_answer(
        emu.press_button(elsewhere, elsewhere, emu.last(elsewhere).message_id, f"wsb:{finding.id}")
    )
    assert answer["show_alert"]
    await press(emu, ada, ada, "#1 🕳 open", board)
    await press(emu, ada, ada, "not our task", emu.last(ada))
    question = emu.last(ada)
    assert "Only the municipality sees it" in question.text
    group_before = len(emu.sent(hood.group))
    await say_reply(emu, ada, ada, question.message_id, "Private ground, the owner is told")
    assert "now not our task" in emu.last(ada).text
    assert len(emu.sent(hood.group)) == group_before  # only a solved finding is announced
    # A final mark cannot change again; the board has no buttons left.
    assert emu.message(ada, board.message_id).flat_buttons() == []
    answer = await emu.wait_answer(
        emu.press_button(ada, ada, board.message_id, f"wsb:{finding.id}")
    )
    assert "not our task already" in str(answer["text"])


async def test_unreachable_team_gets_the_report_later(emu: BotApiEmulator, bot: BotHarness) -> None:
    team, _lead, _member = await make_team(emu, bot)
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} school")
    await report(emu, anna, report_link(post), "🪜 Ladder, bins or tools", location=ROOMBEEK)
    emu.fail_next(team.id, "bad_request", description="Bad Request: chat not found")
    team_before = len(emu.sent(team.id))
    await close_walk(emu, hood, post)
    walk = await bot.services.inspections.get(1)
    assert walk is not None and walk.state == "closed" and walk.summary_sent_at is not None
    assert walk.reported_at is None and len(emu.sent(team.id)) == team_before
    # The catch-up runs at start-up, before updates are taken (and daily): once.
    await bot.restart()
    walk = await bot.services.inspections.get(1)
    assert walk is not None and walk.reported_at is not None
    assert await catch_up(bot.services, bot.app.bot) == 0  # type: ignore[union-attr]
    reports = [m for m in emu.sent(team.id) if "Wijkschouw report" in (m.text or "")]
    assert len(reports) == 1


async def test_stats_and_report_count_walks(
    emu: BotApiEmulator, bot: BotHarness, tmp_path: Path
) -> None:
    team, _lead, member = await make_team(emu, bot)
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} school")
    payload = report_link(post)
    await report(emu, anna, payload, "💡 Lighting", street="Hoofdstraat 1")
    await report(emu, anna, payload, "💡 Lighting", street="Hoofdstraat 9")
    await report(emu, anna, payload, "🌳 Greenery", street="Parkweg")
    await close_walk(emu, hood, post)
    board = emu.last(team.id)
    await press(emu, member, team.id, "#2 💡 open", board)
    await press(emu, member, team.id, "forwarded", emu.last(team.id))
    await say_reply(
        emu, member, team.id, emu.last(team.id).message_id, "To the lighting department"
    )
    ada = emu.add_user("Ada", language_code="en").id
    await say(emu, ada, ada, "/help")
    await bot.services.roles.grant(ada, "adviser", ["enschede"], label="Ada")
    later = bot.services.now() + timedelta(minutes=1)
    bot.services.now = lambda: later
    stats = (await say(emu, ada, ada, "/stats")).text
    assert "Wijkschouw" in stats and "Enschede: 1 held, 3 findings" in stats
    assert "💡 Lighting 2 · 🌳 Greenery 1" in stats
    assert "open 2 · forwarded 1 · solved 0 · not our task 0" in stats

    out = tmp_path / "report"
    today = datetime.now(UTC).date()
    code = await asyncio.to_thread(
        main,
        [
            "report",
            "--from",
            (today - timedelta(days=1)).isoformat(),
            "--to",
            (today + timedelta(days=1)).isoformat(),
            "--config",
            config_file(tmp_path, bot.config),
            "--out",
            str(out),
            "--locale",
            "en",
        ],
    )
    assert code == 0
    rows = list(csv.reader((out / "report.csv").open(encoding="utf-8")))
    assert ["wijkschouw", "enschede", "", "held", "1"] in rows
    assert ["wijkschouw_findings", "enschede", "lighting", "findings", "2"] in rows
    assert ["wijkschouw_status", "enschede", "forwarded", "findings", "1"] in rows
    markdown = (out / "report.md").read_text("utf-8")
    assert "## Neighbourhood inspections (wijkschouw)" in markdown
    assert "Held: 1, findings: 3" in markdown
    assert "By category: 🌳 Greenery 1, 💡 Lighting 2" in markdown
    assert "Status now: forwarded 1, open 2" in markdown


async def test_a_typed_place_is_shown_as_typed(emu: BotApiEmulator, bot: BotHarness) -> None:
    """The place is HTML-escaped like every typed value, so its message must be sent as HTML:
    otherwise "Kerkstraat & Markt" reads "Kerkstraat &amp; Markt"."""
    hood = await neighbourhood(emu, bot)
    payload = report_link(await start_walk(emu, hood, f"{walk_date(bot)} school"))
    neighbour = hood.members[0]
    await say(emu, neighbour, neighbour, f"/start {payload}")
    await press(emu, neighbour, neighbour, "💡 Lighting")
    await press(emu, neighbour, neighbour, "No photo")
    before = len(emu.sent(neighbour))
    emu.send_text(neighbour, neighbour, "Kerkstraat 1 & <Markt>")
    await emu.wait_sent(neighbour, before + 2)
    await emu.wait_idle()
    noted, question = emu.sent(neighbour)[before : before + 2]
    assert noted.text == "📍 Place noted: Kerkstraat 1 & <Markt>"
    assert "short note" in (question.text or "")
