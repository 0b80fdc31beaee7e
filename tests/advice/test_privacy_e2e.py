"""Privacy end to end: /privacy, /mydata, /forgetme (down to the bytes in the database file),
the retention purge, and a scan of the logs of a full request flow for personal data."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.teamwork import purge_expired
from scheduler.delivery import Audience, Content
from tests.advice.flow import (
    NAME,
    closed_request,
    make_team,
    mark_done,
    press,
    say,
    submit,
)
from tests.harness import BotHarness, make_config

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


async def test_privacy_names_the_controller_and_the_recipients(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """Issue 10 point 15: what AVG art. 13 asks, with the controller from the configuration."""
    privacy = {
        "controller": "Gemeente Enschede <Twente>",
        "contact": "privacy@enschede.example, Postbus 20",
        "privacy_officer": "FG Twente, fg@twente.example",
    }
    async with BotHarness(emu, make_config(tmp_path, privacy=privacy)):
        anna = emu.add_user("Anna", language_code="en").id
        await say(emu, anna, anna, "/privacy")
        first, more = emu.sent(anna)[-2:]
        assert "Who is responsible: Gemeente Enschede <Twente>." in first.text
        assert "&lt;Twente&gt;" in first.html  # escaped, as every configured text
        assert "privacy@enschede.example" in first.text and "FG Twente" in first.text
        assert "consent (AVG art. 6(1)(a))" in first.text
        assert "prevention team of your municipality" in first.text
        assert "passes through Telegram" in first.text
        assert "Autoriteit Persoonsgegevens" in first.text and "90 days" in first.text
        assert "nothing is shared" not in first.text + more.text
        assert "audit log keeps your user id" in more.text and "365 days" in more.text
        nl = emu.add_user("Nel", language_code="nl").id
        await say(emu, nl, nl, "/privacy")
        assert "/vergeetmij" in emu.sent(nl)[-2].text and "/forgetme" not in emu.sent(nl)[-2].text


async def test_privacy_without_a_controller_says_so(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    await say(emu, anna, anna, "/privacy")
    assert "has not filled in its name and contact details yet" in emu.sent(anna)[-2].text


async def test_mydata_summary_and_staff_records(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, _lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    reference = await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Message resident", post)
    emu.send_text(member, group.id, "Hello Anna", reply_to=emu.last(group.id).message_id)
    await emu.wait_idle()
    await say(emu, anna, anna, "/mydata")
    summary, document = emu.sent(anna)[-2:]
    tz = bot.config.locale.tz
    created = (await bot.services.advice.for_user(anna))[0].created_at.astimezone(tz)
    assert "times in Europe/Amsterdam" in summary.text
    assert f"Request {reference}: received, waiting for the team" in summary.text
    assert created.strftime("%H:%M") in summary.text  # local time, not UTC
    assert "1 messages with the team" in summary.text and "Hello Anna" not in summary.text
    assert document.document is not None
    data = json.loads(document.document.data)
    assert data["advice_messages"] == [
        {
            "reference": reference,
            "direction": "to_resident",
            "sent_at": data["advice_messages"][0]["sent_at"],
        }
    ]
    assert b"Hello Anna" not in document.document.data

    # An adviser sees their role, their campaigns and their audit entries.
    vera = emu.add_user("Vera", language_code="en").id
    await say(emu, vera, vera, "/help")
    await bot.services.roles.grant(vera, "adviser", ["enschede"], label="Vera")
    await bot.services.campaigns.create(
        vera,
        Content({"nl": "Doe de deur op slot", "en": "Lock the door"}),
        Audience(frozenset({"enschede"})),
        bot.services.now() + timedelta(days=3),
        "scheduled",
    )
    await bot.services.audit.record(vera, "campaign.create", "campaign:1")
    await say(emu, vera, vera, "/mydata")
    summary, document = emu.sent(vera)[-2:]
    assert "Role: adviser for enschede" in summary.text
    assert "1 campaigns written" in summary.text and "1 audit log entries" in summary.text
    assert "Audit: campaign.create (ok)" in summary.text
    assert document.document is not None
    data = json.loads(document.document.data)
    assert [c["texts"]["en"] for c in data["campaigns"]] == ["Lock the door"]
    assert [e["action"] for e in data["audit_log"]] == ["campaign.create"]
    assert data["roles"][0]["role"] == "adviser"
