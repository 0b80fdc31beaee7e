"""Issue 10 point 2: the visit. How to recognise the adviser and check, "moved from … to …" with
"Change appointment", a warning outside the resident's moments, and the day-before reminder to
the resident and the claimer: from rows, once per appointment, also across a restart."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.advice.validation import parse_appointment
from bot.handlers.visits import run_visits
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.database import utcnow
from tests.advice.flow import labels, make_team, plan, press, submit
from tests.harness import BotHarness

# Monday 8 March 2027, 09:00 in Amsterdam (08:00 UTC).
MONDAY = utcnow().replace(year=2027, month=3, day=8, hour=8, minute=0, second=0, microsecond=0)


async def test_recognise_move_warn_and_remind(emu: BotApiEmulator, bot: BotHarness) -> None:
    clock = [MONDAY]
    bot.services.now = lambda: clock[0]
    group, _lead, member = await make_team(emu, bot)
    await emu.wait_idle()
    anna = emu.add_user("Anna", language_code="en").id
    reference = await submit(emu, anna)  # weekday evenings and Saturday
    post = emu.last(group.id)
    # The team sees the resident's language (no street: the project has no street data).
    assert "Language: English" in post.text and "Address: 7511 AB 12A" in post.text
    await press(emu, member, group.id, "Claim", post)

    # The prompt's example is computed from today, and the parser takes it.
    await press(emu, member, group.id, "Plan appointment", emu.message(group.id, post.message_id))
    prompt = emu.last(group.id).text
    example = prompt.split("e.g. ")[1].split(".")[0]
    assert parse_appointment(example, clock[0], bot.config.locale.tz) > clock[0]
    assert "The resident prefers: Weekday evenings, Saturday." in prompt

    # Thursday 11 March 10:00 is a weekday morning: saved, with a warning for the team.
    saved = await plan(emu, member, group.id, post, "11-03-2027 10:00")
    assert "Saved: " + reference in saved and "outside the resident's preferred moments" in saved
    notice = emu.last(anna)
    assert "is planned for Thursday 11 March 2027 10:00" in notice.text
    assert "ID card" in notice.text and "0900-8844" in notice.text
    assert "look up the number yourself" in notice.text  # no team_phone configured
    assert "Change appointment" in labels(emu.message(group.id, post.message_id))

    # Moved to Thursday evening: announced as a move; no warning this time.
    saved = await plan(emu, member, group.id, post, "11-03-2027 19:30")
    assert "outside" not in saved
    assert "has moved from Thursday 11 March 2027 10:00 to Thursday 11 March 2027 19:30" in (
        emu.last(anna).text
    )

    # The reminder: not before 10:00 the day before, then once, to the resident and the claimer
    # (Piet never opened a private chat with the bot: the team group, with a mention).
    assert bot.app is not None
    day_before = datetime(2027, 3, 10, 9, 59, tzinfo=bot.config.locale.tz)
    assert await run_visits(bot.app, day_before) == (0, 0)
    resident_before, group_before = len(emu.sent(anna)), len(emu.sent(group.id))
    assert await run_visits(bot.app, day_before + timedelta(minutes=1)) == (1, 0)
    reminder = emu.sent(anna)[resident_before]
    assert "⏰ Tomorrow at 19:30, an adviser of the prevention team of Enschede" in reminder.text
    assert "ID card" in reminder.text
    assert labels(reminder) == ["This moment doesn't suit me", "Write to the team"]
    [team_reminder] = emu.sent(group.id)[group_before:]
    assert "Tomorrow at 19:30: the visit for " + reference in team_reminder.text
    assert "For Piet." in team_reminder.text
    await bot.restart()
    assert bot.app is not None
    bot.services.now = lambda: clock[0]
    assert await run_visits(bot.app, day_before + timedelta(hours=2)) == (0, 0)

    # A new appointment gets its own reminder; Piet now has a private chat, so it goes there.
    await plan(emu, member, group.id, post, "16-03-2027 19:30")
    emu.send_text(member, member, "/help")
    await emu.wait_idle()
    on_the_day = datetime(2027, 3, 16, 8, 0, tzinfo=bot.config.locale.tz)  # bot was down
    group_before = len(emu.sent(group.id))
    assert await run_visits(bot.app, on_the_day) == (1, 0)
    assert "⏰ Today at 19:30" in emu.last(anna).text
    assert "Today at 19:30: the visit for " + reference in emu.last(member).text
    assert len(emu.sent(group.id)) == group_before
    # Within the last hour no reminder any more.
    await plan(emu, member, group.id, post, "17-03-2027 19:30")
    assert await run_visits(
        bot.app, datetime(2027, 3, 17, 18, 45, tzinfo=bot.config.locale.tz)
    ) == (
        0,
        0,
    )


async def test_planned_within_a_day_needs_no_reminder(emu: BotApiEmulator, bot: BotHarness) -> None:
    clock = [MONDAY]
    bot.services.now = lambda: clock[0]
    group, _lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    # Monday 09:00, planned for Tuesday 19:30: the planning notice is the reminder.
    await plan(emu, member, group.id, post, "09-03-2027 19:30")
    assert bot.app is not None
    assert await run_visits(bot.app, datetime(2027, 3, 9, 12, 0, tzinfo=bot.config.locale.tz)) == (
        0,
        0,
    )
