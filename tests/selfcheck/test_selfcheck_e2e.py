"""The home self-check end to end: twelve questions with buttons, the result, the reminder in
four weeks, and the free advice request with the answers attached after consent; nothing is
kept otherwise."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.selfcheck.questions import QUESTIONS
from bot.selfcheck_reminders import send_due_reminders
from tests.advice.flow import details_until_summary, labels, make_team, press, say
from tests.harness import BotHarness, make_config

# Locks unknown, pulls the door shut, no viewer, windows fine, no sliding door, back partly,
# lighting at one door, shed fine, keys fine, valuables not registered, neighbours sometimes,
# windows always closed.
ANSWERS = "unnyxppyynpy"


async def answer_all(emu: BotApiEmulator, user: int, answers: str = ANSWERS) -> str:
    """/selfcheck and every question (English labels); returns the result text."""
    first = await say(emu, user, user, "/selfcheck")
    assert "question 1 of 12" in first.text
    for question, code in zip(QUESTIONS, answers, strict=True):
        option = question.option(code)
        assert option is not None
        await press(emu, user, user, option.label, emu.message(user, first.message_id))
    return emu.message(user, first.message_id).text or ""


async def stored_text(bot: BotHarness) -> str:
    """Everything in the tables that could hold answers (PTB's state included)."""
    rows = await bot.services.db.fetchall("SELECT * FROM ptb_state")
    reminders = await bot.services.db.fetchall("SELECT * FROM selfcheck_reminders")
    return json.dumps([dict(r) for r in rows] + [dict(r) for r in reminders])


async def test_check_result_and_nothing_kept(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    result = await answer_all(emu, anna)
    assert "Your score: 5 out of 10" in result
    # The biggest gaps first; of equal ones the cheaper measure first.
    assert "1. Always lock the door with the key" in result
    assert "2. Locks with at least two SKG stars" in result
    assert "3. Lock the back and put away what burglars can climb on" in result
    assert result.count("Cost:") == 3 and "€30–€80 per lock cylinder" in result
    message = emu.last(anna)
    assert labels(message) == [
        "⏰ Remind me in 4 weeks",
        "Request free prevention advice",
        "Done",
    ]
    # The answers are in the buttons only; nothing about the home is stored.
    assert ANSWERS not in await stored_text(bot)
    await bot.restart()
    await press(emu, anna, anna, "Done", message)
    assert "Do the check again any time" in emu.last(anna).text
    assert ANSWERS not in await stored_text(bot)
    assert await bot.services.selfchecks.of(anna) is None


async def test_presses_are_bound_and_current(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    bram = emu.add_user("Bram", language_code="en").id
    first = await say(emu, anna, anna, "/selfcheck")
    await press(emu, anna, anna, "No", first)
    assert "question 2 of 12" in emu.message(anna, first.message_id).text
    # A replay of the first question's press (an older state of the same message) is outdated.
    replay = await emu.wait_answer(emu.press_button(anna, anna, first.message_id, "sc:a:y"))
    assert replay["show_alert"] and "outdated" in str(replay["text"])
    assert "question 2 of 12" in emu.message(anna, first.message_id).text
    # Skipping ahead with forged data, or garbage, changes nothing either.
    for data in ("sc:a:nyyyyyyyyyyy", "sc:a:nz", f"sc:remind:{ANSWERS}"):
        answer = await emu.wait_answer(emu.press_button(anna, anna, first.message_id, data))
        assert answer["show_alert"], data
    # Bram cannot press Anna's buttons (not his chat), and his own check is his own.
    other = await say(emu, bram, bram, "/zelftest")
    answer = await emu.wait_answer(emu.press_button(bram, bram, first.message_id, "sc:a:ny"))
    assert answer["show_alert"]
    assert "question 1 of 12" in emu.message(bram, other.message_id).text
    await press(emu, anna, anna, "◀ Back", emu.message(anna, first.message_id))
    assert "question 1 of 12" in emu.message(anna, first.message_id).text
    await press(emu, anna, anna, "Stop", emu.message(anna, first.message_id))
    assert "not kept any of your answers" in emu.message(anna, first.message_id).text


async def test_reminder_after_four_weeks(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    await answer_all(emu, anna)
    result = emu.last(anna)
    await press(emu, anna, anna, "⏰ Remind me in 4 weeks", result)
    shown = emu.message(anna, result.message_id)
    assert "I will ask you on" in shown.text and "Your score" in shown.text
    assert "⏰ Remind me in 4 weeks" not in labels(shown)
    reminder = await bot.services.selfchecks.of(anna)
    assert reminder is not None and reminder.answers == ANSWERS
    local = reminder.due_at.astimezone(bot.config.locale.tz)
    assert (local.hour, local.minute) == (10, 0)
    assert (local.date() - bot.services.now().astimezone(bot.config.locale.tz).date()).days == 28

    await bot.restart()  # a row, not a job: it survives
    services, app_bot = bot.services, bot.app.bot  # type: ignore[union-attr]
    assert await send_due_reminders(services, app_bot, reminder.due_at - timedelta(minutes=1)) == 0
    before = len(emu.sent(anna))
    assert await send_due_reminders(services, app_bot, reminder.due_at) == 1
    text = (await emu.wait_sent(anna, before + 1))[-1].text
    assert "Four weeks ago you did the home self-check" in text
    assert "2. Locks with at least two SKG stars" in text and "/advice" in text
    assert await services.selfchecks.of(anna) is None  # the answers are gone with it
    assert await send_due_reminders(services, app_bot, reminder.due_at + timedelta(days=1)) == 0


async def test_blocked_resident_loses_the_reminder(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    await answer_all(emu, anna)
    await press(emu, anna, anna, "⏰ Remind me in 4 weeks")
    reminder = await bot.services.selfchecks.of(anna)
    assert reminder is not None
    emu.block_bot(anna)
    await emu.wait_idle()
    sent = await send_due_reminders(bot.services, bot.app.bot, reminder.due_at)  # type: ignore[union-attr]
    assert sent == 0 and await bot.services.selfchecks.of(anna) is None


async def test_answers_go_with_the_advice_request(emu: BotApiEmulator, bot: BotHarness) -> None:
    team, _lead, _member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    await answer_all(emu, anna)
    await press(emu, anna, anna, "Request free prevention advice")
    assert "Why would you like prevention advice?" in emu.last(anna).text
    # Before consent the answers are not in the persisted draft.
    await bot.restart()
    assert ANSWERS not in await stored_text(bot)
    await press(emu, anna, anna, "I want to secure my home")
    consent = emu.last(anna).text
    assert (
        "Do you agree?" in consent and "self-check answers are stored with the request" in consent
    )
    await press(emu, anna, anna, "I agree")
    summary = await details_until_summary(emu, anna, phone=None)
    assert "Self-check answers: attached" in summary.text
    before = len(emu.sent(team.id))
    await press(emu, anna, anna, "Confirm")
    post = (await emu.wait_sent(team.id, before + 1))[-1].text
    assert "Self-check answers of the resident:" in post
    assert "Outside doors: SKG locks with two stars or more: I don't know" in post
    assert "Sliding or garden door secured: I don't have one" in post
    assert "score" not in post.lower() and "out of 10" not in post
    [request] = await bot.services.advice.for_user(anna)
    assert request.selfcheck == ANSWERS


async def test_declining_consent_keeps_no_answers(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    await answer_all(emu, anna)
    await press(emu, anna, anna, "Request free prevention advice")
    await press(emu, anna, anna, "Burglary at a neighbour's")
    await press(emu, anna, anna, "Cancel")
    assert ANSWERS not in await stored_text(bot)
    assert await bot.services.advice.for_user(anna) == []


@pytest.fixture
async def no_free_advice(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    config = make_config(tmp_path)
    config = dataclasses.replace(
        config,
        municipalities=[
            dataclasses.replace(m, free_advice=False) if m.slug == "losser" else m
            for m in config.municipalities
        ],
    )
    async with BotHarness(emu, config) as harness:
        yield harness


async def test_without_free_advice_no_button(
    emu: BotApiEmulator, no_free_advice: BotHarness
) -> None:
    bot = no_free_advice
    anna = emu.add_user("Anna", language_code="en").id
    await say(emu, anna, anna, "/start")
    await bot.services.chats.subscribe(
        anna, municipality="losser", neighbourhood=None, topics=frozenset({"burglary"}), locale="en"
    )
    result = await answer_all(emu, anna)
    assert "Losser does not offer free prevention advice" in result
    assert "Request free prevention advice" not in labels(emu.last(anna))


async def test_poster_link_group_and_calendar(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    assert "question 1 of 12" in (await say(emu, anna, anna, "/start zelftest")).text
    group = emu.add_group("Buurt", admins=[anna])
    await emu.wait_idle()
    reply = await say(emu, anna, group.id, "/zelftest")
    [(text, url)] = reply.flat_buttons()
    assert text == "Start the self-check" and url is not None and url.endswith("?start=zelftest")
    entry = bot.services.calendar.get("selfcheck-before-dark-days")
    assert "/zelftest" in entry.texts["nl"] and "/selfcheck" in entry.texts["en"]
