"""Odd presses and odd moments that fuzzing found (issue 14.7): an edit to what a message already
shows, /forgetme in the middle of a conversation, forged, truncated and empty callback data,
and groups the bot has left. None may end in an ERROR line, an apology or a spinning client."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import make_team, press, say, submit
from tests.advisers.helpers import adviser
from tests.advisers.helpers import press as staff_press
from tests.harness import BotHarness

OUTDATED = "This button is outdated. Use /settings or /help to continue."
APOLOGY = "something went wrong"
NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def told(emu: BotApiEmulator, chat: int) -> str:
    return "\n".join(m.text or "" for m in emu.sent(chat))


async def test_a_second_press_with_nothing_to_change_is_success(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    bot.services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    listing = await say(emu, eva, eva, "/calendar")
    await staff_press(emu, eva, 0)  # the first occurrence
    before = emu.message(eva, listing.message_id).reply_markup["inline_keyboard"]
    skip_once = next(
        b["callback_data"] for row in before for b in row if b["text"] == "Skip this time"
    )
    await staff_press(emu, eva, "Skip this time")
    view = emu.message(eva, listing.message_id)
    assert "skipped this time" in (view.text or "")
    # A double tap (the second press on the keyboard as it was): the message already says so.
    # Answered, quietly, nothing else.
    answer = await emu.wait_answer(emu.press_button(eva, eva, listing.message_id, skip_once))
    await emu.wait_idle()
    assert answer.get("text") is None
    assert emu.message(eva, listing.message_id).edits == view.edits
    assert errors(caplog) == [] and APOLOGY not in told(emu, eva)


async def test_forgetme_ends_every_conversation_of_the_person(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    services = bot.services
    services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    await say(emu, eva, eva, "/campaign")
    await say(emu, eva, eva, "Lock up tonight")
    await press(emu, eva, eva, "English")
    await press(emu, eva, eva, "Send them the English text")
    await press(emu, eva, eva, "Next")
    assert "When should it go out?" in emu.last(eva).text
    assert bot.app is not None
    await bot.app.update_persistence()
    stored = await services.db.fetchall("SELECT kind, key FROM ptb_state")
    assert ("conversation:campaign", json.dumps([eva, eva])) in [tuple(r) for r in stored]

    await say(emu, eva, eva, "/forgetme")
    await press(emu, eva, eva, "Yes, delete my data")
    # The wizard waited for a moment; it is over now, so this is just a message.
    reply = await say(emu, eva, eva, "tomorrow 19:00")
    assert "commands and buttons" in reply.text
    await bot.app.update_persistence()
    keys = [r["key"] for r in await services.db.fetchall("SELECT key FROM ptb_state")]
    assert not [k for k in keys if str(eva) in k]

    # The same for an alert waiting for its text, after a restart in between.
    luuk = await adviser(emu, bot, "Luuk", "losser")
    assert "What happened?" in (await say(emu, luuk, luuk, "/alert")).text
    await bot.restart()
    await say(emu, luuk, luuk, "/forgetme")
    await press(emu, luuk, luuk, "Yes, delete my data")
    assert "commands and buttons" in (await say(emu, luuk, luuk, "Inbraken vandaag")).text
    assert errors(caplog) == []


async def test_forged_truncated_and_empty_presses_are_answered_and_logged(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    anna = emu.add_user("Anna", language_code="en").id
    prompt = await say(emu, anna, anna, "/advice")
    for data in ("", "adv", "adv:", "adv:reas", "adv:reason:nope", "adv:reason:", "x" * 64, ":"):
        caplog.clear()
        answer = await emu.wait_answer(emu.press_button(anna, anna, prompt.message_id, data))
        await emu.wait_idle()
        assert answer.get("text") == OUTDATED, data
        (line,) = [r.getMessage() for r in caplog.records if "outdated" in r.getMessage()]
        assert line == (
            f"outdated or foreign press user_id={anna} chat_id={anna} "
            f"message_id={prompt.message_id}"
        )
    # The conversation is where it was: the real button still works.
    await press(emu, anna, anna, "I want to secure my home", prompt)
    assert "Do you agree?" in emu.last(anna).text
    assert errors(caplog) == []


async def test_a_forged_request_advice_press_is_not_an_error(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    reply = await say(emu, anna, anna, "/help")  # a bot message without a keyboard
    answer = await emu.wait_answer(emu.press_button(anna, anna, reply.message_id, "adv:start"))
    await emu.wait_idle()
    assert answer.get("text") == OUTDATED
    assert errors(caplog) == [] and APOLOGY not in told(emu, anna)


async def test_a_group_the_bot_has_left_is_marked_inactive_without_errors(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    group, lead, member = await make_team(emu, bot)
    rita = emu.add_user("Rita", language_code="en").id
    await submit(emu, rita)
    post = emu.last(group.id)
    question = await say(emu, lead, group.id, "/stop")
    request = (await bot.services.advice.for_user(rita))[0]
    # The bot is removed, and the update saying so never arrives (Telegram drops updates
    # older than a day): commands and presses come from a group the bot is not in.
    emu.send_text(lead, group.id, "/settings")
    emu.send_text(member, group.id, "/help")
    group.bot_status = "kicked"
    for user, message, data in [
        (member, post.message_id, f"team:{request.id}:claim"),
        (lead, question.message_id, "stop:no"),
    ]:
        await emu.wait_answer(emu.press_button(user, group.id, message, data))
    await emu.wait_idle()
    chat = await bot.services.chats.get(group.id)
    assert chat is not None and not chat.active
    assert errors(caplog) == []
    gone = [r for r in caplog.records if "chat unreachable, marked inactive" in r.getMessage()]
    assert len(gone) == 2 and {r.levelno for r in gone} == {logging.INFO}


async def test_an_edited_message_is_not_taken_as_a_new_answer(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Correcting a typo in an earlier message sends Telegram's edited_message: it must not
    become the answer to the step the conversation is at now, nor run a command again."""
    await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    await say(emu, anna, anna, "/advice")
    await press(emu, anna, anna, "Recent burglary at my home")
    await press(emu, anna, anna, "I agree")
    postcode = emu.send_text(anna, anna, "7511 ab")
    await emu.wait_idle()
    await press(emu, anna, anna, "Yes")
    assert "name" in (await say(emu, anna, anna, "12")).text

    before = len(emu.sent(anna))
    emu.edit_text(anna, anna, postcode, "7522 CD")
    await emu.wait_idle()
    (reply,) = emu.sent(anna)[before:]
    assert "edits" in reply.text
    # Still at the name step: the edit was not taken as the name.
    assert "phone number" in (await say(emu, anna, anna, "Anna Jansen")).text
    # Nor does an edit to a command run it.
    emu.edit_text(anna, anna, postcode, "/cancel")
    await emu.wait_idle()
    assert "Cancelled" not in told(emu, anna)
    await say(emu, anna, anna, "06 12345678")
    assert "When would a visit suit you" in emu.last(anna).text
    assert errors(caplog) == []

    # In Dutch too; in a group an edit gets no reply at all.
    piet = emu.add_user("Piet", language_code="nl").id
    hello = emu.send_text(piet, piet, "hallo")
    await emu.wait_idle()
    emu.edit_text(piet, piet, hello, "/stop")
    await emu.wait_idle()
    assert "bewerkingen" in emu.last(piet).text
    group = emu.add_group("Buurt", admins=[piet])
    await emu.wait_idle()
    command = emu.send_text(piet, group.id, "/help")
    await emu.wait_idle()
    seen = len(emu.sent(group.id))
    emu.edit_text(piet, group.id, command, "/help@buurtwacht_sandbox_bot")
    await emu.wait_idle()
    assert len(emu.sent(group.id)) == seen


async def test_a_sticker_mid_question_keeps_the_question(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A photo or sticker where the advice request waits for the name: the answer says the
    question still waits (not "/help lists what I can do"), and the next text is the name."""
    await make_team(emu, bot)
    for language, expected in (
        ("en", "Please answer the question above, or /cancel."),
        ("nl", "Beantwoord de vraag hierboven, of /annuleren."),
    ):
        anna = emu.add_user("Anna", language_code=language).id
        await say(emu, anna, anna, "/advice")
        await press(emu, anna, anna, emu.last(anna).flat_buttons()[0][0])
        await press(emu, anna, anna, emu.last(anna).flat_buttons()[0][0])
        await say(emu, anna, anna, "7511 ab")
        await press(emu, anna, anna, emu.last(anna).flat_buttons()[0][0])
        await say(emu, anna, anna, "12")
        before = len(emu.sent(anna))
        emu.send_sticker(anna, anna)
        await emu.wait_sent(anna, before + 1)
        assert expected in (emu.last(anna).text or "")
        emu.send_photo(anna, anna)
        await emu.wait_sent(anna, before + 2)
        assert expected in (emu.last(anna).text or "")
        assert "06 12345678" in (await say(emu, anna, anna, "Anna Jansen")).text
    assert errors(caplog) == []
