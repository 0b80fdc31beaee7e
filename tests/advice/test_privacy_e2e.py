"""Privacy end to end: /privacy, /mydata, /forgetme (down to the bytes in the database file),
the retention purge, and a scan of the logs of a full request flow for personal data."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.teamwork import purge_expired
from tests.advice.flow import NAME, closed_request, make_team, mark_done, press, say, submit
from tests.harness import BotHarness

PHONE_DIGITS = "612345678"


async def test_privacy_and_mydata(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    text = (await say(emu, anna, anna, "/privacy")).text
    assert "90 days" in text and "/mydata" in text and "/forgetme" in text
    reference = await submit(emu, anna)
    reply = await say(emu, anna, anna, "/mydata")
    assert reply.document is not None and reply.document.filename == "buurtwacht-mydata.json"
    data = json.loads(reply.document.data)
    assert data["telegram_user_id"] == anna
    assert data["subscription"]["chat_id"] == anna and data["subscription"]["subscribed"] is False
    [request] = data["advice_requests"]
    assert request["reference"] == reference and request["name"] == NAME
    assert request["phone"] == "+31" + PHONE_DIGITS and request["postcode"] == "7511 AB"
    assert request["moments"] == ["evening", "saturday"] and request["status"] == "new"
    assert request["created_at"].startswith(str(bot.services.now().year))


async def test_forgetme_erases_everywhere(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, _lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    reference = await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    await bot.restart()  # what is forgotten comes from the database, not from memory

    assert "delete your data" in (await say(emu, anna, anna, "/forgetme")).text
    await press(emu, anna, anna, "No, keep it")
    assert (await bot.services.advice.for_user(anna))[0].name == NAME
    await say(emu, anna, anna, "/forgetme")
    await press(emu, anna, anna, "Yes, delete my data")
    assert "deleted" in emu.last(anna).text

    assert await bot.services.advice.for_user(anna) == []
    assert await bot.services.chats.get(anna) is None
    post = emu.message(group.id, post.message_id)
    assert "Removed at the resident's request" in post.text and reference in post.text
    assert NAME not in post.text and post.flat_buttons() == []
    # Nothing left in the file once the WAL is folded in (secure_delete zeroes freed pages).
    await bot.restart()
    assert bot.db is not None
    await bot.db.checkpoint()
    raw = bot.db.path.read_bytes()
    assert NAME.encode() not in raw and PHONE_DIGITS.encode() not in raw
    assert reference.encode() in raw  # the anonymous row stays for the statistics


async def test_retention_purge(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, _member, post = await closed_request(emu, bot)
    services, app_bot = bot.services, bot.app.bot  # type: ignore[union-attr]
    now = services.now()
    assert await purge_expired(services, app_bot, now + timedelta(days=89)) == 0
    assert await purge_expired(services, app_bot, now + timedelta(days=91)) == 1
    [request] = await services.db.fetchall("SELECT * FROM advice_requests")
    assert request["name"] is None and request["phone"] is None and request["user_id"] is None
    assert request["status"] == "done" and request["erased_at"] is not None
    post = emu.message(group.id, post.message_id)
    assert "removed after the retention period" in post.text and NAME not in post.text


async def test_no_personal_data_in_logs(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    # Our loggers at DEBUG, everything else at the production level (INFO).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    group, _lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    await say(emu, anna, anna, "/advice")
    await press(emu, anna, anna, "I want to secure my home")
    await press(emu, anna, anna, "I agree")
    await say(emu, anna, anna, "not a postcode 0612")
    await say(emu, anna, anna, "/cancel")
    await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    await press(emu, member, group.id, "Not possible", post)
    emu.send_text(
        member, group.id, "Resident Geertruida moved", reply_to=emu.last(group.id).message_id
    )
    await emu.wait_idle()
    await say(emu, anna, anna, "/mydata")
    await say(emu, anna, anna, "/forgetme")
    await press(emu, anna, anna, "Yes, delete my data")
    logged = caplog.text
    assert "advice request id=" in logged  # the flow was logged, by id
    for secret in (NAME, "Geertruida", PHONE_DIGITS, "12345678", "7511", "12A", "moved"):
        assert secret not in logged, secret


async def test_mydata_holds_only_the_residents_own_data(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    group, lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    await press(emu, lead, group.id, "Not possible", post)
    emu.send_text(lead, group.id, "No time", reply_to=emu.last(group.id).message_id)
    await emu.wait_idle()

    raw = (await say(emu, anna, anna, "/mydata")).document.data  # type: ignore[union-attr]
    [request] = json.loads(raw)["advice_requests"]
    assert request["name"] == NAME and request["status"] == "not_possible"
    assert request["note"] == "No time" and request["claimed_at"] is not None
    for key in ("claimed_by", "claimed_by_name", "closed_by_name", "team_chat_id"):
        assert key not in request
    # Nothing of the team members, nor of the team's group, anywhere in the file.
    for other in (str(member), str(lead), "Piet", "Tess", str(group.id)):
        assert other.encode() not in raw, other


async def test_team_member_sees_and_forgets_what_is_stored_about_them(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    group, lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    bert = emu.add_user("Bert", language_code="en").id
    first = await submit(emu, anna)
    first_post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", first_post)
    await mark_done(emu, member, group.id, first_post)
    second = await submit(emu, bert, postcode="7512 AB")
    second_post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", second_post)
    assert "Claimed by Piet" in emu.message(group.id, second_post.message_id).text

    raw = (await say(emu, member, member, "/mydata")).document.data  # type: ignore[union-attr]
    handled = json.loads(raw)["handled_as_team_member"]
    assert [(h["reference"], h["name"]) for h in handled] == [(first, "Piet"), (second, "Piet")]
    assert "closed_at" in handled[0] and "closed_at" not in handled[1]
    assert NAME.encode() not in raw  # the residents' data is not the member's

    await say(emu, member, member, "/forgetme")
    await press(emu, member, member, "Yes, delete my data")
    rows = await bot.services.db.fetchall(
        "SELECT reference, status, claimed_by, claimed_by_name, closed_by_name, name "
        "FROM advice_requests ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (first, "done", None, None, None, NAME),
        (second, "claimed", None, None, None, NAME),
    ]
    for post in (first_post, second_post):
        assert "Piet" not in emu.message(group.id, post.message_id).text
    assert "Claimed on" in emu.message(group.id, second_post.message_id).text
    # The claim stays a claim: another member of the team may plan it now.
    second_post = emu.message(group.id, second_post.message_id)
    await press(emu, lead, group.id, "Plan appointment", second_post)
    assert "reply to this message" in emu.last(group.id).text
