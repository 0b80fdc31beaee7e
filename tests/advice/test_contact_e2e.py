"""Issue 10 point 1: team and resident write to each other about a request, each in their own
chat; the resident sees the team's name, never the member's; the team's phone number; "this
moment doesn't suit me". The texts are not stored and not logged, and go with /forgetme."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import labels, make_team, municipalities, plan, press, say, submit
from tests.harness import BotHarness, make_config

ASK = "Could we come on Tuesday evening? <b>Bring</b> the key of the shed & the bike"
ANSWER = "Tuesday suits me fine, thanks & see you"


@pytest.fixture
async def phone_bot(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """Enschede's team has a phone number in the configuration."""
    raw = municipalities(enschede={"team_phone": "14 053"})
    async with BotHarness(emu, make_config(tmp_path, municipalities=raw)) as harness:
        yield harness


async def reply(emu: BotApiEmulator, user: int, chat: int, to: int, text: str) -> None:
    emu.send_text(user, chat, text, reply_to=to)
    await emu.wait_idle()


async def test_team_and_resident_write_to_each_other(
    emu: BotApiEmulator, phone_bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    bot = phone_bot
    group, lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    reference = await submit(emu, anna, phone=None)
    post = emu.last(group.id)
    assert "Message resident" in labels(post) and "use Message resident" in post.text

    await press(emu, member, group.id, "Claim", post)
    claimed = emu.last(anna)
    assert "taken on by the prevention team of Enschede" in claimed.text
    assert "call the team: 14 053" in claimed.text and "Piet" not in claimed.text
    assert labels(claimed) == ["Write to the team"]

    # The member writes; only the member who pressed may answer the bot's question.
    await press(emu, member, group.id, "Message resident", emu.message(group.id, post.message_id))
    question = emu.last(group.id)
    assert "your message for the resident of " + reference in question.text
    assert question.reply_markup == {"force_reply": True, "selective": True}
    before = len(emu.sent(anna))
    await reply(emu, lead, group.id, question.message_id, "not the one who was asked")
    assert len(emu.sent(anna)) == before
    await reply(emu, member, group.id, question.message_id, ASK)
    assert "Sent to the resident of " + reference in emu.last(group.id).text
    relayed = emu.last(anna)
    assert relayed.text.startswith("💬 The prevention team of Enschede about " + reference)
    assert ASK in relayed.text and "&lt;b&gt;Bring&lt;/b&gt;" in relayed.html
    assert "Piet" not in relayed.text and (relayed.reply_markup or {}).get("force_reply")

    # The resident answers by replying; the team sees it with a button to answer.
    await reply(emu, anna, anna, relayed.message_id, ANSWER)
    assert emu.last(anna).text == "Sent to the prevention team of Enschede."
    copy = emu.last(group.id)
    assert "Message from the resident" in copy.text and ANSWER in copy.text
    assert "For Piet." in copy.text and labels(copy) == ["Reply to the resident"]

    # "Reply to the resident" on the resident's message asks the presser.
    await press(emu, lead, group.id, "Reply to the resident", copy)
    await reply(emu, lead, group.id, emu.last(group.id).message_id, "Tess here: see you then")
    assert (
        "Tess here: see you then" in emu.last(anna).text
        and "Tess" not in emu.last(anna).text.split("\n")[0]
    )

    # From /myrequests too.
    listing = await say(emu, anna, anna, "/myrequests")
    assert labels(listing) == ["Write to the team", "Withdraw " + reference]
    await press(emu, anna, anna, "Write to the team", listing)
    prompt = emu.last(anna)
    assert "Type your message for the prevention team of Enschede" in prompt.text
    await reply(emu, anna, anna, prompt.message_id, "One more thing: I have a dog")
    assert "One more thing: I have a dog" in emu.last(group.id).text

    # Someone else's chat cannot press the resident's buttons; forged data elsewhere neither.
    request_id = (await bot.services.advice.for_user(anna))[0].id
    stranger = emu.add_user("Sam", language_code="en").id
    await say(emu, stranger, stranger, "/help")
    answer = await emu.wait_answer(
        emu.press_button(stranger, stranger, emu.last(stranger).message_id, f"req:{request_id}:msg")
    )
    assert "outdated" in answer["text"]
    listing = await say(emu, lead, group.id, "/requests")
    answer = await emu.wait_answer(
        emu.press_button(member, group.id, listing.message_id, f"team:{request_id}:msg")
    )
    assert "not valid here" in answer["text"]

    # The texts are not stored anywhere and never logged.
    assert bot.db is not None
    await bot.db.checkpoint()
    raw = bot.db.path.read_bytes()
    for text in (ANSWER, "Tuesday evening", "I have a dog", "see you then"):
        assert text.encode() not in raw, text
        assert text not in caplog.text, text
    assert "resident message to the team" in caplog.text

    # /forgetme: the team's copies of the resident's words go too.
    await say(emu, anna, anna, "/forgetme")
    await press(emu, anna, anna, "Yes, delete my data")
    copy = emu.message(group.id, copy.message_id)
    assert ANSWER not in copy.text and "removed at the resident's request" in copy.text
    assert copy.flat_buttons() == []
    assert await bot.services.advice.messages_of([request_id]) == []


async def test_this_moment_does_not_suit_me(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, _lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    reference = await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    await press(emu, member, group.id, "Plan appointment", emu.message(group.id, post.message_id))
    when = (bot.services.now() + timedelta(days=5)).astimezone(bot.config.locale.tz)
    await reply(
        emu, member, group.id, emu.last(group.id).message_id, when.strftime("%d-%m-%Y 19:30")
    )
    planned = emu.last(anna)
    assert labels(planned) == ["This moment doesn't suit me", "Write to the team"]

    await press(emu, anna, anna, "This moment doesn't suit me", planned)
    assert "does not suit you" in emu.last(anna).text
    notice = emu.last(group.id)
    assert reference in notice.text and "does not suit them" in notice.text
    assert labels(notice) == ["Reply to the resident", "Change appointment"]
    assert "⚠️ The resident said" in emu.message(group.id, post.message_id).text
    # Once per appointment.
    answer = await press(emu, anna, anna, "This moment doesn't suit me", planned)
    assert "already knows" in answer["text"]
    listing = await say(emu, anna, anna, "/myrequests")
    assert "does not suit you" in listing.text

    # The team plans again from its notice: announced as moved, the warning goes.
    await plan(emu, member, group.id, notice, when + timedelta(days=1))
    assert "has moved from" in emu.last(anna).text
    assert "⚠️ The resident said" not in emu.message(group.id, post.message_id).text


async def test_a_too_long_message_can_be_sent_again_shorter(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """ "Please keep it shorter" invites a second try: the resident's shorter reply must reach
    the team, as the member's does (the question was spent on the long one)."""
    group, _lead, _member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    await submit(emu, anna)
    listing = await say(emu, anna, anna, "/myrequests")
    await press(emu, anna, anna, "Write to the team", listing)
    prompt = emu.last(anna)
    await reply(emu, anna, anna, prompt.message_id, "y" * 1600)
    assert "Please keep it shorter" in emu.sent(anna)[-2].text
    again = emu.last(anna)
    assert "Type your message for the prevention team of Enschede" in again.text
    await reply(emu, anna, anna, again.message_id, "Shorter: I have a dog")
    assert emu.last(anna).text == "Sent to the prevention team of Enschede."
    assert "Shorter: I have a dog" in emu.last(group.id).text
