"""The wijkschouw's and the self-check's personal data: in /mydata, gone after /forgetme (down to
the bytes in the database file and the photo file), unlinked after the retention period, and
not in the logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot.inspection_reports import purge_expired_inspections
from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import labels, make_team, press, say
from tests.harness import BotHarness
from tests.selfcheck.test_selfcheck_e2e import ANSWERS, answer_all
from tests.wijkschouw.flow import gps_jpeg, neighbourhood, report, report_link, start_walk
from tests.wijkschouw.test_wijkschouw_e2e import ROOMBEEK, close_walk, walk_date

NOTE = "Zwaluwstraat hedge hides the back door"


async def test_mydata_and_forgetme(emu: BotApiEmulator, bot: BotHarness) -> None:
    team, _lead, _member = await make_team(emu, bot)
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} school")
    await press(emu, anna, hood.group, "✋ I'm joining (0)", post)
    await report(
        emu, anna, report_link(post), "🌳 Greenery", photo=gps_jpeg(), location=ROOMBEEK, note=NOTE
    )
    await answer_all(emu, anna)
    await press(emu, anna, anna, "⏰ Remind me in 4 weeks")
    await close_walk(emu, hood, post)
    [finding] = await bot.services.inspections.findings(1)
    assert finding.photo is not None
    photo = bot.services.media.path(finding.photo)
    assert photo.exists()

    reply = await say(emu, anna, anna, "/mydata")
    assert reply.document is not None
    data = json.loads(reply.document.data)
    [mine] = data["wijkschouw"]["findings"]
    assert mine["note"] == NOTE and mine["reporter_id"] == anna and mine["latitude"] == ROOMBEEK[0]
    assert [j["inspection_id"] for j in data["wijkschouw"]["joined"]] == [1]
    assert data["selfcheck_reminder"]["answers"] == ANSWERS
    organiser = json.loads(
        (await say(emu, hood.organiser, hood.organiser, "/mydata")).document.data
    )  # type: ignore[union-attr]
    [walk] = organiser["wijkschouw"]["organised"]
    assert walk["meeting_point"] == "school" and "code" not in walk

    await say(emu, anna, anna, "/forgetme")
    assert "wijkschouw findings" in emu.last(anna).text
    await press(emu, anna, anna, "Yes, delete my data")
    [finding] = await bot.services.inspections.findings(1)
    assert finding.reporter_id is None and finding.note is None and finding.photo is None
    assert (
        finding.category == "greenery" and finding.latitude == ROOMBEEK[0]
    )  # for the municipality
    assert not photo.exists()
    assert await bot.services.inspections.participant_count(1) == 0
    assert await bot.services.selfchecks.of(anna) is None
    board = emu.last(team.id)
    assert labels(board) == ["#1 🌳 open"]
    await bot.restart()
    assert bot.db is not None
    await bot.db.checkpoint()
    raw = bot.db.path.read_bytes() + (bot.db.path.parent / "buurtwacht.sqlite3-wal").read_bytes()
    assert NOTE.encode() not in raw and ANSWERS.encode() not in raw


async def test_retention_unlinks_people(emu: BotApiEmulator, bot: BotHarness) -> None:
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} school")
    await press(emu, anna, hood.group, "✋ I'm joining (0)", post)
    await report(emu, anna, report_link(post), "💡 Lighting", street="Hoofdstraat 1")
    await close_walk(emu, hood, post)
    services = bot.services
    now = services.now()
    assert await purge_expired_inspections(services, now + timedelta(days=89)) == 0
    assert (await services.inspections.findings(1))[0].reporter_id == anna
    assert await purge_expired_inspections(services, now + timedelta(days=91)) == 1
    [finding] = await services.inspections.findings(1)
    assert finding.reporter_id is None and finding.street == "Hoofdstraat 1"
    walk = await services.inspections.get(1)
    assert walk is not None and walk.organiser_id is None
    assert await services.inspections.participant_count(1) == 0


async def test_no_personal_data_in_logs(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    team, _lead, member = await make_team(emu, bot)
    hood = await neighbourhood(emu, bot, members=1)
    (anna,) = hood.members
    post = await start_walk(emu, hood, f"{walk_date(bot)} Kastanjelaan speeltuin")
    await report(emu, anna, report_link(post), "🌳 Greenery", street="Zwaluwstraat 7", note=NOTE)
    await close_walk(emu, hood, post)
    await press(emu, member, team.id, "#1 🌳 open", emu.last(team.id))
    await press(emu, member, team.id, "solved", emu.last(team.id))
    emu.send_text(member, team.id, "Hedge trimmed by Gerrit", reply_to=emu.last(team.id).message_id)
    await emu.wait_idle()
    await answer_all(emu, anna)
    logged = caplog.text
    assert "inspection id=1" in logged
    for secret in (NOTE, "Zwaluwstraat", "Kastanjelaan", "Gerrit", ANSWERS):
        assert secret not in logged, secret
