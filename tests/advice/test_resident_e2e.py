"""The resident's side end to end: the happy path with the team, validation errors, cancel at
every step, a restart mid-conversation, free_advice = false, limits and /myrequests."""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.advice.visits import UNDO_WINDOW
from bot.handlers.advice import BEFORE_CONSENT
from bot.handlers.visits import run_visits
from bot.sandbox.emulator import BotApiEmulator
from bot.teamwork import DRAFT_KEY
from tests.advice.flow import (
    NAME,
    fill_until_summary,
    labels,
    make_team,
    mark_done,
    press,
    say,
    submit,
)
from tests.harness import ROOT, BotHarness, make_config


async def test_happy_path_resident_team_resident(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    summary = await fill_until_summary(emu, anna)
    assert NAME in summary.text and "7511 AB 12A, Enschede" in summary.text
    assert "06 12345678" in summary.text and "Weekday evenings, Saturday" in summary.text
    await press(emu, anna, anna, "Confirm")
    confirmation = emu.last(anna).text
    assert "PKVW-2" in confirmation and "the prevention team of Enschede" in confirmation

    post = emu.last(group.id)
    assert post.text.startswith("Prevention advice PKVW-")
    assert NAME in post.text and "06 12345678" in post.text and "Saturday" in post.text
    assert labels(post) == ["Claim", "Message resident", "Not possible"]

    # Claim: the message shows who and when; the resident hears the team's name, not Piet's.
    await press(emu, member, group.id, "Claim", post)
    post = emu.message(group.id, post.message_id)
    assert "Claimed by Piet" in post.text
    assert labels(post) == ["Plan appointment", "Message resident", "Done", "Not possible"]
    told = emu.last(anna).text
    assert "taken on by the prevention team of Enschede" in told and "Piet" not in told

    # Only the claimer plans; the date comes as a reply to a selective ForceReply prompt.
    answer = await press(emu, lead, group.id, "Plan appointment", post)
    assert "Only the team member who claimed" in str(answer.get("text"))
    await press(emu, member, group.id, "Plan appointment", post)
    prompt = emu.last(group.id)
    assert "reply to this message with the date and time" in prompt.text
    assert prompt.reply_markup == {"force_reply": True, "selective": True}
    when = (bot.services.now() + timedelta(days=7)).astimezone(bot.config.locale.tz)
    emu.send_text(member, group.id, when.strftime("%d-%m-%Y 19:30"), reply_to=prompt.message_id)
    await emu.wait_idle()
    post = emu.message(group.id, post.message_id)
    assert "📅 Appointment:" in post.text and "19:30" in post.text
    assert "is planned for" in emu.last(anna).text and "19:30" in emu.last(anna).text

    # After the visit: Done, confirmed; the resident hears it once the undo window is over.
    later = when + timedelta(hours=2)
    bot.services.now = lambda: later
    question = await mark_done(emu, member, group.id, post)
    assert "is done" in question.text and labels(question) == ["Undo"]
    post = emu.message(group.id, post.message_id)
    assert "✅ Done on" in post.text and labels(post) == []
    assert "is done" not in emu.last(anna).text
    assert bot.app is not None
    assert await run_visits(bot.app, later + UNDO_WINDOW) == (0, 1)
    assert "is done" in emu.last(anna).text

    status = (await say(emu, anna, anna, "/myrequests")).text
    assert "PKVW-" in status and "done" in status


async def test_validation_errors_keep_the_step(emu: BotApiEmulator, bot: BotHarness) -> None:
    bob = emu.add_user("Bob", language_code="en").id
    question = await say(emu, bob, bob, "/advice")
    assert "Please use the buttons" in (await say(emu, bob, bob, "hello")).text
    await press(emu, bob, bob, "I want to secure my home", question)
    await press(emu, bob, bob, "I agree")
    for bad in ("75111 AB", "7511", "AB 7511", "7511 SS"):
        assert "not a Dutch postcode" in (await say(emu, bob, bob, bad)).text
    # Outside Twente: a clear answer with the municipality list; another postcode still works.
    outside = await say(emu, bob, bob, "7411 AA")
    assert "is not in Twente" in outside.text and "your own municipality" in outside.text
    assert "Hof van Twente" in labels(outside) and len(labels(outside)) == 15
    await press(emu, bob, bob, "Hengelo")
    for bad in ("0", "abc", "123456", "12 abcde"):
        assert "not a house number" in (await say(emu, bob, bob, bad)).text
    await say(emu, bob, bob, "3")
    assert "Please type your name" in (await say(emu, bob, bob, "<b>12</b>")).text
    await say(emu, bob, bob, "Bob")
    for bad in ("12345", "0900 1234567", "+49 30 1234567", "call me"):
        reply = await say(emu, bob, bob, bad)
        assert "not a Dutch phone number" in reply.text and "Via this chat" in labels(reply)
    await say(emu, bob, bob, "+31 53 481 2345")
    answer = await press(emu, bob, bob, "Next")
    assert "at least one moment" in str(answer.get("text"))
    await press(emu, bob, bob, "⬜ Weekday mornings")
    await press(emu, bob, bob, "Next")
    summary = emu.last(bob).text
    assert "Hengelo" in summary and "053 481 2345" in summary

    # Change: only the chosen field is asked again, then the summary returns (no new consent).
    await press(emu, bob, bob, "Change")
    await press(emu, bob, bob, "Name")
    again = await say(emu, bob, bob, "Robert")
    assert "Is everything correct?" in again.text and "Robert" in again.text
    await press(emu, bob, bob, "Change")
    await press(emu, bob, bob, "Reason")
    await press(emu, bob, bob, "Burglary at a neighbour's")
    again = emu.last(bob)
    assert "Is everything correct?" in again.text and "neighbour's" in again.text
    assert not any("Do you agree?" in m.text for m in emu.sent(bob)[-6:])


CANCEL_AT = [
    "reason",
    "consent",
    "postcode",
    "confirm",
    "house",
    "name",
    "contact",
    "moments",
    "summary",
]


@pytest.mark.parametrize("step", CANCEL_AT)
async def test_cancel_at_every_step(emu: BotApiEmulator, bot: BotHarness, step: str) -> None:
    carl = emu.add_user("Carl", language_code="en").id
    inputs: list[tuple[str, str]] = [
        ("reason", "press:Recent burglary at my home"),
        ("consent", "press:I agree"),
        ("postcode", "say:7521 AA"),
        ("confirm", "press:Yes"),
        ("house", "say:4"),
        ("name", "say:Carl"),
        ("contact", "press:Via this chat"),
        ("moments", "press:⬜ Saturday"),
        ("moments", "press:Next"),
    ]
    await say(emu, carl, carl, "/advice")
    for name, action in inputs:
        if name == step:
            break
        kind, value = action.split(":", 1)
        if kind == "say":
            await say(emu, carl, carl, value)
        else:
            await press(emu, carl, carl, value)
    # Alternate between the command and the button where the step has one.
    if step in ("reason", "consent", "summary") or "Cancel" not in labels(emu.last(carl)):
        reply = await say(emu, carl, carl, "/cancel")
    else:
        await press(emu, carl, carl, "Cancel")
        reply = emu.last(carl)
    assert "Nothing has been stored" in reply.text
    assert await bot.services.advice.for_user(carl) == []
    assert "nothing to cancel" in (await say(emu, carl, carl, "/cancel")).text
    assert "I work with commands" in (await say(emu, carl, carl, "7521 AA")).text


async def test_restart_in_the_middle(emu: BotApiEmulator, bot: BotHarness) -> None:
    dora = emu.add_user("Dora", language_code="en").id
    await say(emu, dora, dora, "/advice")
    await press(emu, dora, dora, "Burglary at a neighbour's")
    await press(emu, dora, dora, "I agree")
    await say(emu, dora, dora, "7551 CD")
    await press(emu, dora, dora, "Yes")
    await say(emu, dora, dora, "8")
    await bot.restart()
    # The conversation and its draft come back from SQLite: the name step continues.
    assert "phone number" in (await say(emu, dora, dora, "Dora")).text
    await press(emu, dora, dora, "Via this chat")
    await press(emu, dora, dora, "⬜ Weekday afternoons")
    await press(emu, dora, dora, "Next")
    summary = emu.last(dora).text
    assert "Hengelo" in summary and "Burglary at a neighbour's" in summary
    await bot.restart()
    await press(emu, dora, dora, "Confirm")
    assert "registered as" in emu.last(dora).text
    [request] = await bot.services.advice.for_user(dora)
    assert (request.municipality, request.house_number, request.phone) == ("hengelo", "8", None)


async def test_municipality_without_free_advice(emu: BotApiEmulator, tmp_path: Path) -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))["municipalities"]
    for m in raw:
        if m["slug"] in ("losser", "borne"):
            m["free_advice"] = False
        if m["slug"] == "losser":
            m["advice_alternative"] = {"en": "Call 14 053 & ask"}
    harness = BotHarness(emu, make_config(tmp_path, municipalities=raw))
    await harness.start()
    try:
        eve = emu.add_user("Eve", language_code="en").id
        await say(emu, eve, eve, "/advice")
        await press(emu, eve, eve, "I want to secure my home")
        await press(emu, eve, eve, "I agree")
        await say(emu, eve, eve, "7581 AB")
        await press(emu, eve, eve, "Yes")
        reply = emu.last(eve)
        assert "Losser does not offer free prevention advice" in reply.text
        assert "Call 14 053 & ask" in reply.text and "&amp;" in reply.html
        # Borne has no text of its own: the default points to the police quality mark.
        await say(emu, eve, eve, "/advice")
        await press(emu, eve, eve, "I want to secure my home")
        await press(emu, eve, eve, "I agree")
        await say(emu, eve, eve, "7621 AB")
        await press(emu, eve, eve, "Yes")
        assert "Police Quality Mark" in emu.last(eve).text
        assert await harness.services.advice.for_user(eve) == []
    finally:
        await harness.stop()


async def test_limits(emu: BotApiEmulator, bot: BotHarness) -> None:
    group, lead, _member = await make_team(emu, bot)
    fay = emu.add_user("Fay", language_code="en").id
    start = bot.services.now()
    clock = [start]
    bot.services.now = lambda: clock[0]
    for day in (0, 1, 2):
        clock[0] = start + timedelta(days=day)
        await submit(emu, fay)
        if day == 0:
            reply = await say(emu, fay, fay, "/advice")
            assert "already have an open request" in reply.text
        await press(emu, lead, group.id, "Not possible", emu.last(group.id))
        emu.send_text(lead, group.id, "Moved away", reply_to=emu.last(group.id).message_id)
        await emu.wait_idle()
    clock[0] = start + timedelta(days=3)
    reply = await say(emu, fay, fay, "/advice")
    assert "3 requests in the last 30 days" in reply.text
    clock[0] = start + timedelta(days=30, minutes=1)
    assert "Why would you like" in (await say(emu, fay, fay, "/advice")).text
    status = (await say(emu, fay, fay, "/myrequests")).text
    assert status.count("not possible") == 3


async def test_button_after_start(emu: BotApiEmulator, bot: BotHarness) -> None:
    gina = emu.add_user("Gina", language_code="en").id
    await say(emu, gina, gina, "/start")
    await press(emu, gina, gina, "Borne")
    await press(emu, gina, gina, "Confirm")
    summary = emu.last(gina)
    assert "You are subscribed" in summary.text
    assert labels(summary) == ["Request free prevention advice"]
    await press(emu, gina, gina, "Request free prevention advice", summary)
    assert "Why would you like prevention advice?" in emu.last(gina).text
    assert labels(emu.message(gina, summary.message_id)) == []  # the button is spent


async def stored_draft(bot: BotHarness, user: int) -> dict[str, object] | None:
    """The advice draft as PTB persistence wrote it to the `ptb_state` table (after a flush)."""
    assert bot.app is not None
    await bot.app.update_persistence()
    row = await bot.services.db.fetchone(
        "SELECT value FROM ptb_state WHERE kind = 'user' AND key = ?", (str(user),)
    )
    draft = json.loads(row["value"]).get(DRAFT_KEY) if row is not None else None
    assert draft is None or isinstance(draft, dict)
    return draft


async def test_consent_comes_before_any_personal_detail(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    hans = emu.add_user("Hans", language_code="en").id
    await say(emu, hans, hans, "/advice")
    await press(emu, hans, hans, "Recent burglary at my home")
    consent = emu.last(hans)
    assert "Do you agree?" in consent.text and labels(consent) == ["I agree", "Cancel"]
    # Typed details at the consent step are not taken: only the buttons count.
    assert "Please use the buttons" in (await say(emu, hans, hans, "7511 AB")).text
    assert not any("What is your postcode" in m.text for m in emu.sent(hans))
    draft = await stored_draft(bot, hans)
    assert draft is not None and set(draft) <= set(BEFORE_CONSENT)
    assert draft["reason"] == "burglary_home" and draft["moments"] == []

    # Declining ends the conversation: no request, no draft, no conversation state.
    await press(emu, hans, hans, "Cancel", consent)
    assert "Nothing has been stored" in emu.last(hans).text
    assert await stored_draft(bot, hans) is None
    rows = await bot.services.db.fetchall(
        "SELECT id FROM advice_requests WHERE user_id = ?", (hans,)
    )
    assert rows == []
    states = await bot.services.db.fetchall(
        "SELECT value FROM ptb_state WHERE kind = 'conversation:advice' AND key = ?",
        (json.dumps([hans, hans]),),
    )
    assert states == []
    assert "I work with commands" in (await say(emu, hans, hans, "7511 AB")).text

    # The postcode question comes only after "I agree".
    await say(emu, hans, hans, "/advice")
    await press(emu, hans, hans, "I want to secure my home")
    assert "What is your postcode" not in emu.last(hans).text
    await press(emu, hans, hans, "I agree")
    assert "What is your postcode" in emu.last(hans).text
    assert labels(emu.message(hans, consent.message_id)) == []  # its buttons are spent
    draft = await stored_draft(bot, hans)
    assert draft is not None and draft["consent"] is True


async def test_older_draft_without_consent_is_not_used(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """Drafts persisted by the version that asked for consent last hold details without
    consent: in a later step they are dropped; at the consent step only the reason is kept."""
    assert bot.app is not None
    ida = emu.add_user("Ida", language_code="en").id
    await say(emu, ida, ida, "/advice")
    await press(emu, ida, ida, "Recent burglary at my home")
    await press(emu, ida, ida, "I agree")
    await say(emu, ida, ida, "7511 AB")
    await press(emu, ida, ida, "Yes")
    await say(emu, ida, ida, "12")
    # As an older version would have stored it at the name step: no consent yet.
    del bot.app.user_data[ida][DRAFT_KEY]["consent"]
    bot.app.mark_data_for_update_persistence(user_ids=[ida])
    await bot.restart()
    assert "no longer in progress" in (await say(emu, ida, ida, "Ida")).text
    assert await stored_draft(bot, ida) is None

    await say(emu, ida, ida, "/advice")
    await press(emu, ida, ida, "Recent burglary at my home")
    consent = emu.last(ida)
    # An older draft waiting at the consent step, with the details typed before it.
    bot.app.user_data[ida][DRAFT_KEY].update(postcode="7511 AB", name="Ida", moments=["saturday"])
    bot.app.mark_data_for_update_persistence(user_ids=[ida])
    await bot.restart()
    assert bot.app is not None
    await press(emu, ida, ida, "I agree", consent)
    assert "What is your postcode" in emu.last(ida).text
    draft = await stored_draft(bot, ida)
    assert draft is not None and draft["moments"] == []
    assert set(draft) == {"started", "reason", "moments", "consent"}
