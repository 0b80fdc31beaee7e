"""The prevention team end to end: link codes (expiry, reuse), the checks on every press and
reply (non-members, forged data, other chats, closed requests), /requests and the daily jobs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.database import utcnow
from bot.teamwork import notify_admins_without_team, remind_teams
from tests.advice.flow import labels, make_team, mark_done, press, say, submit
from tests.harness import BotHarness


async def test_link_code_once_and_expiry(
    emu: BotApiEmulator, admin_bot: tuple[BotHarness, int]
) -> None:
    bot, admin = admin_bot
    clock = [utcnow()]
    bot.services.now = lambda: clock[0]
    resident = emu.add_user("Rita", language_code="en").id
    reference = await submit(emu, resident)  # no team yet: kept, not posted

    outsider = emu.add_user("Otto", language_code="en").id
    assert (
        "Only the bot's administrators"
        in (await say(emu, outsider, outsider, "/teamcode enschede")).text
    )
    assert "Usage: /teamcode" in (await say(emu, admin, admin, "/teamcode nowhere")).text
    reply = await say(emu, admin, admin, "/teamcode Enschede")
    code = reply.text.split("/linkteam ")[1].split()[0]

    lead = emu.add_user("Tess", language_code="en").id
    team = emu.add_group("Team Enschede", admins=[lead])
    other = emu.add_group("Other group", admins=[lead])
    await emu.wait_idle()
    assert "not here" in (await say(emu, admin, admin, f"/linkteam {code}")).text
    assert "not valid" in (await say(emu, lead, team.id, "/linkteam AAAAA-BBBBB")).text
    linked = await say(emu, lead, team.id, f"/linkteam {code}")
    # The request that waited is posted right after the link.
    assert reference in linked.text and "Prevention advice" in linked.text
    assert any("now the prevention team of" in m.text for m in emu.sent(team.id) if m.text)
    assert "already been used" in (await say(emu, lead, other.id, f"/linkteam {code}")).text
    assert await bot.services.teams.team_of("enschede") == team.id

    late = (await say(emu, admin, admin, "/teamcode losser")).text.split("/linkteam ")[1].split()[0]
    clock[0] += timedelta(hours=24, seconds=1)
    assert "expired" in (await say(emu, lead, other.id, f"/linkteam {late}")).text
    assert await bot.services.teams.team_of("losser") is None


async def test_refused_presses_are_logged(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    group, lead, member = await make_team(emu, bot)
    resident = emu.add_user("Rita", language_code="en").id
    await submit(emu, resident)
    post = emu.last(group.id)
    request_id = (await bot.services.advice.for_user(resident))[0].id

    # A member who left before the bot looked: the live getChatMember says no.
    leaver = emu.add_user("Lena", language_code="en").id
    emu.add_member(group.id, leaver)
    query = emu.press(leaver, group.id, post.message_id, "Claim")
    group.members.discard(leaver)
    assert "Only members" in (await emu.wait_answer(query))["text"]

    forged = {
        "team:999999:claim": "unknown request",
        f"team:{request_id}:delete": "malformed",
        "team:abc:claim": "malformed",
        f"team:{request_id}:done": "state",  # a new request cannot be closed as done
    }
    for data, why in forged.items():
        answer = await emu.wait_answer(emu.press_button(member, group.id, post.message_id, data))
        assert answer.get("show_alert") is True
        assert f"team button refused ({why})" in caplog.text
    # The right data on another message (the bot's /requests answer) is refused too.
    listing = await say(emu, lead, group.id, "/requests")
    data = f"team:{request_id}:claim"
    await emu.wait_answer(emu.press_button(member, group.id, listing.message_id, data))
    assert "team button refused (not this message)" in caplog.text
    # A press in another group, even one the presser and the bot share.
    other = emu.add_group("Elsewhere", admins=[member])
    await emu.wait_idle()
    stray = await say(emu, member, other.id, "/requests")
    await emu.wait_answer(emu.press_button(member, other.id, stray.message_id, data))
    assert "team button refused (not a team chat)" in caplog.text
    assert (await bot.services.advice.get(request_id)).status == "new"  # type: ignore[union-attr]

    # A replayed press after closing.
    await press(emu, member, group.id, "Claim", post)
    await mark_done(emu, member, group.id, post)
    answer = await emu.wait_answer(emu.press_button(member, group.id, post.message_id, data))
    assert "already further along or closed" in answer["text"]
    assert "Rita" not in caplog.text and "7511" not in caplog.text


async def test_appointment_validation_and_not_possible(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    group, lead, member = await make_team(emu, bot)
    resident = emu.add_user("Rita", language_code="en").id
    await submit(emu, resident)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    await press(emu, member, group.id, "Plan appointment", post)
    tz = bot.config.locale.tz
    yesterday = (bot.services.now() - timedelta(days=1)).astimezone(tz)
    for text, error in [
        (yesterday.strftime("%d-%m-%Y %H:%M"), "in the past"),
        ("next tuesday", "could not read"),
        ("31-02-2030 10:00", "could not read"),
    ]:
        prompt = emu.last(group.id)
        emu.send_text(member, group.id, text, reply_to=prompt.message_id)
        await emu.wait_idle()
        assert (
            error in emu.last(group.id).text and "reply to this message" in emu.last(group.id).text
        )
    # Someone else answering the prompt is ignored.
    emu.send_text(lead, group.id, "01-01-2099 10:00", reply_to=emu.last(group.id).message_id)
    await emu.wait_idle()
    assert (await bot.services.advice.get(1)).status == "claimed"  # type: ignore[union-attr]

    await press(emu, lead, group.id, "Not possible", post)
    emu.send_text(lead, group.id, "No <answer> & no phone", reply_to=emu.last(group.id).message_id)
    await emu.wait_idle()
    post = emu.message(group.id, post.message_id)
    assert "Not possible" in post.text and "No <answer> & no phone" in post.text
    assert labels(post) == []
    told = emu.last(resident)
    assert "cannot carry out" in told.text and "&lt;answer&gt;" in told.html


async def test_requests_list_and_daily_jobs(
    emu: BotApiEmulator, admin_bot: tuple[BotHarness, int]
) -> None:
    bot, admin = admin_bot
    await say(emu, admin, admin, "/help")  # the admin has a private chat with the bot
    group, lead, member = await make_team(emu, bot)
    # Monday 9 March 2026, 10:00 in Amsterdam.
    monday = utcnow().replace(year=2026, month=3, day=9, hour=9, minute=0, second=0, microsecond=0)
    clock = [monday]
    bot.services.now = lambda: clock[0]
    residents = [emu.add_user(n, language_code="en").id for n in ("Ann", "Ben")]
    first = await submit(emu, residents[0])
    clock[0] = monday + timedelta(days=1)
    second = await submit(emu, residents[1])
    await press(emu, member, group.id, "Claim")  # Piet claims the second
    stranger = emu.add_user("Sam", language_code="en").id
    hengelo = await submit(emu, stranger, postcode="7551 AB")  # Hengelo has no team

    clock[0] = monday + timedelta(days=2)
    listing = (await say(emu, lead, group.id, "/requests")).text
    assert listing.index(first) < listing.index(second) and hengelo not in listing
    assert "2 d" in listing and "not claimed" in listing and "Piet" in listing

    services, app_bot = bot.services, bot.app.bot  # type: ignore[union-attr]
    before = len(emu.sent(group.id))
    # Thursday 09:00: the first is 3 working days old, the claimed one is not reminded.
    assert await remind_teams(services, app_bot, monday + timedelta(days=3)) == 1
    reminder = emu.sent(group.id)[before].text
    assert first in reminder and second not in reminder and "Claim" in reminder
    # Wednesday: only 2 working days, no reminder.
    assert await remind_teams(services, app_bot, monday + timedelta(days=2)) == 0

    waiting = await notify_admins_without_team(services, app_bot)
    assert waiting == {"hengelo": 1}
    notice = emu.last(admin).text
    assert "Hengelo: 1" in notice and "/teamcode" in notice
    assert "Sam" not in notice
