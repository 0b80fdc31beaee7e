"""Driving the advice flow through the emulator, as a resident and as a team member."""

from __future__ import annotations

import tomllib
from datetime import datetime
from typing import Any

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import SandboxChat, SentMessage
from tests.harness import ROOT, BotHarness

NAME = "Geertruida Klein-Oude Hengel"
PHONE = "06 12345678"
POSTCODE = "7511 ab"


async def say(emu: BotApiEmulator, user: int, chat: int, text: str) -> SentMessage:
    """Write `text`, wait for the bot's answer and its follow-ups, return its last message."""
    before = len(emu.sent(chat))
    emu.send_text(user, chat, text)
    await emu.wait_sent(chat, before + 1)
    await emu.wait_idle()
    return emu.last(chat)


async def press(
    emu: BotApiEmulator, user: int, chat: int, label: str, message: SentMessage | None = None
) -> dict[str, object]:
    """Press a button (on `message`, default the last one); returns the callback answer."""
    target = message or emu.last(chat)
    query_id = emu.press(user, chat, target.message_id, label)
    answer = await emu.wait_answer(query_id)
    # A handler may still touch the database between answering and its next message.
    await emu.wait_idle()
    return answer


def labels(message: SentMessage) -> list[str]:
    return [text for text, _data in message.flat_buttons()]


async def fill_until_summary(
    emu: BotApiEmulator,
    user: int,
    *,
    phone: str | None = PHONE,
    postcode: str = POSTCODE,
    name: str = NAME,
) -> SentMessage:
    """/advice through every step up to the summary (English labels)."""
    assert "Why would you like" in (await say(emu, user, user, "/advice")).text
    await press(emu, user, user, "Recent burglary at my home")
    assert "Do you agree?" in emu.last(user).text
    await press(emu, user, user, "I agree")
    return await details_until_summary(emu, user, phone=phone, postcode=postcode, name=name)


async def details_until_summary(
    emu: BotApiEmulator,
    user: int,
    *,
    phone: str | None = PHONE,
    postcode: str = POSTCODE,
    name: str = NAME,
) -> SentMessage:
    """After "I agree": address, name, contact and moments up to the summary."""
    assert "postcode" in emu.last(user).text
    assert "Is that right?" in (await say(emu, user, user, postcode)).text
    await press(emu, user, user, "Yes")
    assert "house number" in emu.last(user).text
    assert "name" in (await say(emu, user, user, "12a")).text
    assert "phone number" in (await say(emu, user, user, name)).text
    if phone is None:
        await press(emu, user, user, "Via this chat")
    else:
        await say(emu, user, user, phone)
    assert "When would a visit suit you" in emu.last(user).text
    await press(emu, user, user, "⬜ Weekday evenings")
    await press(emu, user, user, "⬜ Saturday")
    await press(emu, user, user, "Next")
    summary = emu.last(user)
    assert "Is everything correct?" in summary.text
    return summary


async def submit(emu: BotApiEmulator, user: int, **kwargs: str | None) -> str:
    """A whole request; returns the reference from the bot's confirmation."""
    await fill_until_summary(emu, user, **kwargs)  # type: ignore[arg-type]
    await press(emu, user, user, "Confirm")
    text = emu.last(user).text
    assert text is not None and "registered as" in text
    return text.split("registered as ")[1].split(".")[0]


async def make_team(
    emu: BotApiEmulator, bot: BotHarness, municipality: str = "enschede"
) -> tuple[SandboxChat, int, int]:
    """A team group (admin + one member) linked to `municipality`: (group, admin, member)."""
    lead = emu.add_user("Tess", language_code="en").id
    member = emu.add_user("Piet", language_code="en").id
    group = emu.add_group("Preventieteam", admins=[lead], members=[member])
    await emu.wait_idle()
    await bot.services.teams.link(group.id, municipality)
    await bot.services.chats.set_locale(group.id, "en")
    return group, lead, member


async def closed_request(
    emu: BotApiEmulator, bot: BotHarness
) -> tuple[SandboxChat, int, SentMessage]:
    """Anna's request, claimed and done by the Enschede team: (group, member, team message)."""
    group, _lead, member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    await submit(emu, anna)
    post = emu.last(group.id)
    await press(emu, member, group.id, "Claim", post)
    await mark_done(emu, member, group.id, post)
    return group, member, post


async def mark_done(
    emu: BotApiEmulator, member: int, group: int, post: SentMessage, label: str = ""
) -> SentMessage:
    """Done on the team message, then yes to "Did the visit take place?"; returns the
    question (now saying it is done, with Undo)."""
    await press(emu, member, group, "Done", emu.message(group, post.message_id))
    question = emu.last(group)
    assert "did the visit for" in question.text
    yes = label or next(text for text in labels(question) if text.startswith("Yes"))
    await press(emu, member, group, yes, question)
    return emu.message(group, question.message_id)


async def plan(
    emu: BotApiEmulator, member: int, group: int, post: SentMessage, when: datetime | str
) -> str:
    """Press "Plan appointment" (or "Change appointment") on the team message and answer with
    `when` (a local datetime or typed text); returns the bot's answer in the group."""
    current = emu.message(group, post.message_id)
    label = next(text for text in labels(current) if "appointment" in text)
    await press(emu, member, group, label, current)
    typed = when if isinstance(when, str) else when.strftime("%d-%m-%Y %H:%M")
    emu.send_text(member, group, typed, reply_to=emu.last(group).message_id)
    await emu.wait_idle()
    return emu.last(group).text


def municipalities(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    """The example configuration's municipalities, with `changes` per slug."""
    raw = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))["municipalities"]
    for m in raw:
        m.update(changes.get(m["slug"], {}))
    return list(raw)
