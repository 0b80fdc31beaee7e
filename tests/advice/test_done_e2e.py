"""Issue 10 point 3: done is deliberate. "Did the visit take place?" for the member who pressed
Done (only them), a warning before the appointment, "on behalf of" the claimer, an undo within
the window, and the resident told only after it, once."""

from __future__ import annotations

from datetime import timedelta

from bot.advice.visits import UNDO_WINDOW
from bot.handlers.visits import run_visits
from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import labels, make_team, plan, press, submit
from tests.harness import BotHarness


async def test_done_is_asked_warned_and_undoable(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    reference = await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    when = (bot.services.now() + timedelta(days=9)).astimezone(bot.config.locale.tz)
    await plan(emu, member, group.id, post, when)
    told = len(emu.sent(anna))

    # Tess (not the claimer) presses Done nine days early: asked, warned, "on behalf of Piet".
    await press(emu, lead, group.id, "Done", emu.message(group.id, post.message_id))
    question = emu.last(group.id)
    assert "did the visit for " + reference + " take place?" in question.text
    assert "⚠️ The appointment is only on" in question.text
    assert "Piet claimed this request: you close it on their behalf." in question.text
    assert labels(question) == ["Yes, done on behalf of Piet", "No, not yet"]
    # Piet cannot answer Tess's question; "No" changes nothing.
    answer = await press(emu, member, group.id, "Yes, done on behalf of Piet", question)
    assert "outdated" in answer["text"]
    await press(emu, lead, group.id, "No, not yet", question)
    assert "nothing has changed" in emu.message(group.id, question.message_id).text
    assert (await bot.services.advice.get(1)).status == "planned"  # type: ignore[union-attr]

    # Piet himself, after the visit: done, and undone within the window.
    visit_over = when + timedelta(hours=2)
    bot.services.now = lambda: visit_over
    await press(emu, member, group.id, "Done", emu.message(group.id, post.message_id))
    question = emu.last(group.id)
    assert "only on" not in question.text and "behalf" not in question.text
    await press(emu, member, group.id, "Yes, the visit took place", question)
    question = emu.message(group.id, question.message_id)
    assert "is done. The resident hears it in 10 minutes" in question.text
    assert "✅ Done on" in emu.message(group.id, post.message_id).text
    await press(emu, member, group.id, "Undo", question)
    assert "Undone" in emu.message(group.id, question.message_id).text
    post = emu.message(group.id, post.message_id)
    assert "✅ Done" not in post.text and "Done" in labels(post)
    assert (await bot.services.advice.get(1)).status == "planned"  # type: ignore[union-attr]
    assert bot.app is not None
    assert await run_visits(bot.app, visit_over + UNDO_WINDOW * 2) == (0, 0)
    assert len(emu.sent(anna)) == told  # the resident heard nothing of it

    # Done again; after the window the undo is refused and the resident is told, once.
    await press(emu, member, group.id, "Done", post)
    await press(emu, member, group.id, "Yes, the visit took place", emu.last(group.id))
    question = emu.last(group.id)
    assert await run_visits(bot.app, visit_over + UNDO_WINDOW - timedelta(seconds=1)) == (0, 0)
    bot.services.now = lambda: visit_over + UNDO_WINDOW + timedelta(minutes=1)
    assert await run_visits(bot.app, bot.services.now()) == (0, 1)
    assert await run_visits(bot.app, bot.services.now()) == (0, 0)
    assert "is done" in emu.last(anna).text and len(emu.sent(anna)) == told + 1
    answer = await press(emu, member, group.id, "Undo", question)
    assert "Too late to undo" in answer["text"]
    assert (await bot.services.advice.get(1)).status == "done"  # type: ignore[union-attr]
