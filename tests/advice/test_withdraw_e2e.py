"""Issue 10 point 4: a withdrawal reaches the team. Withdrawing one request from /myrequests or
everything with /forgetme sends a new message to the team group and to the claimer saying the
visit is off; the team message says "removed at the resident's request", also for a request
that was already closed."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import NAME, closed_request, labels, make_team, plan, press, say, submit
from tests.harness import BotHarness


async def planned_request(emu: BotApiEmulator, bot: BotHarness) -> tuple[int, int, int, str, int]:
    """Anna's request, claimed and planned by Piet, who has a private chat with the bot:
    (group id, Piet, Anna, reference, team message id)."""
    group, _lead, member = await make_team(emu, bot)
    await say(emu, member, member, "/help")
    anna = emu.add_user("Anna", language_code="en").id
    reference = await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    await plan(emu, member, group.id, post, bot.services.now() + timedelta(days=4))
    return group.id, member, anna, reference, post.message_id


async def test_withdraw_one_request_from_myrequests(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, member, anna, reference, post_id = await planned_request(emu, bot)
    listing = await say(emu, anna, anna, "/myrequests")
    assert "Withdraw " + reference in labels(listing)
    await press(emu, anna, anna, "Withdraw " + reference, listing)
    question = emu.last(anna)
    assert "The team is told that the visit is off" in question.text
    await press(emu, anna, anna, "No, keep it", question)
    assert (await bot.services.advice.for_user(anna))[0].status == "planned"

    await press(emu, anna, anna, "Withdraw " + reference, listing)
    group_before, member_before = len(emu.sent(group)), len(emu.sent(member))
    await press(emu, anna, anna, "Yes, withdraw", emu.last(anna))
    assert "Withdrawn: " + reference in emu.last(anna).text
    # A new message in the group (Telegram notifies it; an edit it does not) and to Piet.
    [notice] = emu.sent(group)[group_before:]
    assert reference + " withdrawn" in notice.text and "The visit on" in notice.text
    assert "is off" in notice.text and "For Piet." in notice.text and NAME not in notice.text
    [private] = emu.sent(member)[member_before:]
    assert reference + " withdrawn" in private.text and "is off" in private.text
    post = emu.message(group, post_id)
    assert "Removed at the resident's request" in post.text and NAME not in post.text
    assert post.flat_buttons() == []
    # Erased at once; the resident may ask again.
    assert await bot.services.advice.for_user(anna) == []
    [row] = await bot.services.db.fetchall(
        "SELECT status, name, erased_reason FROM advice_requests"
    )
    assert tuple(row) == ("withdrawn", None, "resident")
    assert "Why would you like" in (await say(emu, anna, anna, "/advice")).text


async def test_forgetme_tells_the_team_the_visit_is_off(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    group, member, anna, reference, post_id = await planned_request(emu, bot)
    group_before = len(emu.sent(group))
    await say(emu, anna, anna, "/forgetme")
    await press(emu, anna, anna, "Yes, delete my data")
    [notice] = emu.sent(group)[group_before:]
    assert reference + " withdrawn" in notice.text and "is off" in notice.text
    assert reference + " withdrawn" in emu.last(member).text
    assert "Removed at the resident's request" in emu.message(group, post_id).text


async def test_forgetme_after_closing_says_at_the_residents_request(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    group, _member, post = await closed_request(emu, bot)
    anna = (await bot.services.db.fetchall("SELECT user_id FROM advice_requests"))[0][0]
    before = len(emu.sent(group.id))
    await say(emu, anna, anna, "/forgetme")
    await press(emu, anna, anna, "Yes, delete my data")
    text = emu.message(group.id, post.message_id).text
    assert "Removed at the resident's request" in text and "retention" not in text
    # Closed already: no visit to call off, so no new message.
    assert len(emu.sent(group.id)) == before
