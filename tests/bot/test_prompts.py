"""Bound prompts (bot/handlers/prompts.py): a wizard's button counts only for the person it was
sent to, on the message it was sent as, in that chat; everything else is "outdated" and changes
nothing. Driven through the advice conversation, which binds every prompt it sends."""

from __future__ import annotations

from bot.sandbox.emulator import BotApiEmulator
from bot.teamwork import DRAFT_KEY
from tests.advice.flow import press, say
from tests.harness import BotHarness

OUTDATED = "This button is outdated. Use /settings or /help to continue."


async def test_a_press_on_an_older_prompt_changes_nothing(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    first = await say(emu, anna, anna, "/advice")
    second = await say(emu, anna, anna, "/advice")
    assert "Why would you like prevention advice?" in second.text

    answer = await press(emu, anna, anna, "I want to secure my home", first)
    assert answer.get("text") == OUTDATED
    assert emu.last(anna).message_id == second.message_id  # no next step was sent
    assert bot.app is not None
    assert "reason" not in bot.app.user_data[anna][DRAFT_KEY]

    await press(emu, anna, anna, "I want to secure my home", second)
    assert "I agree" in [text for text, _data in emu.last(anna).flat_buttons()]


async def test_forged_presses_on_other_messages_are_refused(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    prompt = await say(emu, anna, anna, "/advice")
    # A modified client sends valid data for a message that is not the prompt: one that does
    # not exist, and the user's own earlier message.
    for message_id in (prompt.message_id + 1000, prompt.message_id - 1):
        query = emu.press_button(anna, anna, message_id, "adv:reason:secure_home")
        assert (await emu.wait_answer(query)).get("text") == OUTDATED
    await emu.wait_idle()
    assert emu.last(anna).message_id == prompt.message_id
    assert bot.app is not None
    assert "reason" not in bot.app.user_data[anna][DRAFT_KEY]
