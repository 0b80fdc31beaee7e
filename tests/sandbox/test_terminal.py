"""The terminal chat, scripted against the emulator alone (the test plays the bot)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)

from bot.sandbox import BOT_USERNAME, BotApiEmulator, Limits
from bot.sandbox.media import phone_photo
from bot.sandbox.terminal import DemoWorld, build_demo_world, render_html, run_terminal


class Script:
    """Input lines the test feeds one at a time, so it can act as the bot in between."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    def type(self, line: str) -> None:
        self.queue.put_nowait(line)

    def end(self) -> None:
        self.queue.put_nowait(None)

    async def lines(self) -> AsyncIterator[str]:
        while (line := await self.queue.get()) is not None:
            yield line


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(limits=Limits(enabled=False)) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url) as client:
        yield client


async def take(emu: BotApiEmulator, bot: Bot, count: int) -> tuple[Update, ...]:
    """Wait for ``count`` new updates, fetch them and confirm them."""
    await emu.wait_for(lambda: emu.pending_updates >= count)
    updates = await bot.get_updates()
    await bot.get_updates(offset=updates[-1].update_id + 1)
    return updates


async def consumed(script: Script) -> None:
    """Wait until the terminal took every typed line (and acted on it)."""
    while not script.queue.empty():
        await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)


async def test_chat_buttons_and_popups(emu: BotApiEmulator, bot: Bot) -> None:
    world = build_demo_world(emu)
    anna, bram = world.users
    out = io.StringIO()
    script = Script()
    terminal = asyncio.create_task(
        run_terminal(emu, input_lines=script.lines(), out=out, world=world, settle_timeout=0)
    )
    await take(emu, bot, 1)  # the bot was added to the group
    script.type("hallo buurtwacht")
    (update,) = await take(emu, bot, 1)
    assert update.message is not None and update.message.text == "hallo buurtwacht"
    assert update.message.from_user is not None and update.message.from_user.id == anna.id
    assert update.message.chat.id == anna.id

    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Aanmelden", callback_data="sub:on"),
                InlineKeyboardButton("Later", callback_data="sub:later"),
            ]
        ]
    )
    sent = await bot.send_message(
        anna.id, "<b>Welkom</b> bij de buurt", parse_mode="HTML", reply_markup=keyboard
    )
    assert "*Welkom* bij de buurt" in out.getvalue()
    assert "[1] Aanmelden   [2] Later" in out.getvalue()

    script.type(":press 2")
    (press,) = await take(emu, bot, 1)
    assert press.callback_query is not None and press.callback_query.data == "sub:later"
    await bot.answer_callback_query(press.callback_query.id, "Tot later!")
    assert "(popup: Tot later!)" in out.getvalue()

    script.type(f":press {sent.message_id}.1")
    (press,) = await take(emu, bot, 1)
    assert press.callback_query is not None and press.callback_query.data == "sub:on"

    await bot.send_document(anna.id, InputFile(b"12345", filename="agenda.ics"))
    assert "[document: agenda.ics, 5 bytes]" in out.getvalue()
    await bot.edit_message_text("Aangemeld", anna.id, sent.message_id)
    assert f"#{sent.message_id} (edited)" in out.getvalue()

    script.type(":as bram")
    script.type(":chat roombeek")
    script.type("/agenda")
    script.end()
    await asyncio.wait_for(terminal, 5)
    group_id = world.group_ids[0]
    (last,) = await take(emu, bot, 1)
    assert last.message is not None and last.message.text == "/agenda"
    assert last.message.chat.id == group_id and last.message.from_user is not None
    assert last.message.from_user.id == bram.id
    assert out.getvalue().rstrip().endswith("bye")


async def test_steering_commands(emu: BotApiEmulator, bot: Bot) -> None:
    world = build_demo_world(emu)
    anna = world.users[0]
    out = io.StringIO()
    script = Script()

    async def calendar(args: list[str]) -> str:
        return f"calendar for {' '.join(args)}"

    terminal = asyncio.create_task(
        run_terminal(
            emu,
            input_lines=script.lines(),
            out=out,
            world=world,
            settle_timeout=0,
            extra_commands={":calendar": calendar},
        )
    )
    old_group = world.group_ids[0]
    for line in (
        "/start",
        ":block",
        ":chat 2",
        ":kick",
        ":add",
        ":migrate",
        ":who",
        ":calendar 2025 november",
        ":bogus",
        ":press",
        ":as nobody",
        ":history",
    ):
        script.type(line)
    await consumed(script)
    assert emu.user(anna.id).blocked
    new_group = world.group_ids[0]
    assert new_group != old_group and world.chat_id == new_group
    assert emu.chat(new_group).type == "supergroup"
    text = out.getvalue()
    assert "calendar for 2025 november" in text
    assert "unknown command :bogus" in text
    assert "! no bot message with buttons in this chat" in text
    assert "! no user 'nobody'" in text
    assert "(supergroup, you: creator, bot: member)" in text
    script.type(":quit")
    script.type("never read")
    await asyncio.wait_for(terminal, 5)
    kinds = [
        (u.my_chat_member.new_chat_member.status if u.my_chat_member else None)
        for u in await bot.get_updates()
    ]
    assert kinds.count("kicked") == 2  # the block and the kick
    assert emu.user_messages(anna.id)[-1]["text"] == "/start"


async def test_world_can_be_extended(emu: BotApiEmulator) -> None:
    world = DemoWorld()
    carla = world.add_user(emu, "Carla")
    world.add_group(emu, "Preventieteam Enschede", admins=[carla.id])
    out = io.StringIO()
    script = Script()
    script.type(":who")
    script.end()
    await run_terminal(emu, input_lines=script.lines(), out=out, world=world, settle_timeout=0)
    assert "Preventieteam Enschede (group, you: creator" in out.getvalue()


def test_render_html() -> None:
    source = '<b>Let</b> <i>op</i>: <a href="https://x.nl">site</a> &amp; <code>c</code>'
    assert render_html(source) == "*Let* _op_: site (https://x.nl) & `c`"
    assert render_html('<a href="https://x.nl">https://x.nl</a>') == "https://x.nl"
    assert render_html('<a href="tg://user?id=7">Tess</a>, reply') == "@Tess, reply"


async def test_answering_the_bots_question(emu: BotApiEmulator, bot: Bot) -> None:
    """A ForceReply prompt is marked with how to answer it; `:reply text` answers the last."""
    world = build_demo_world(emu)
    anna = world.users[0]
    group = world.group_ids[0]
    out = io.StringIO()
    script = Script()
    terminal = asyncio.create_task(
        run_terminal(emu, input_lines=script.lines(), out=out, world=world, settle_timeout=0)
    )
    await take(emu, bot, 1)  # the bot was added to the group
    question = await bot.send_message(
        group, "Anna, reply with the date", reply_markup=ForceReply(selective=True)
    )
    assert f"↩ answer with :reply {question.message_id} <text>" in out.getvalue()
    script.type(":chat 2")
    script.type(":reply 14-03-2030 19:30")
    (answer,) = await take(emu, bot, 1)
    assert answer.message is not None and answer.message.text == "14-03-2030 19:30"
    assert answer.message.reply_to_message is not None
    assert answer.message.reply_to_message.message_id == question.message_id
    assert answer.message.from_user is not None and answer.message.from_user.id == anna.id
    script.type(":chat bot")
    script.type(":reply no question here")
    script.end()
    await asyncio.wait_for(terminal, 5)
    assert "! no question of the bot here" in out.getvalue()


async def test_location_photo_and_deep_links(emu: BotApiEmulator, bot: Bot) -> None:
    world = build_demo_world(emu)
    anna = world.users[0]
    out = io.StringIO()
    script = Script()
    terminal = asyncio.create_task(
        run_terminal(emu, input_lines=script.lines(), out=out, world=world, settle_timeout=0)
    )
    await take(emu, bot, 1)  # the bot was added to the group
    group = world.group_ids[0]
    link = f"https://t.me/{BOT_USERNAME}?start=ws_AbC-123"
    await bot.send_message(
        group,
        "Wijkschouw",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Melding doen", url=link)]]),
    )
    assert f"[1] Melding doen ↗ {link}" in out.getvalue()
    script.type(":chat 2")
    script.type(":press 1")
    (opened,) = await take(emu, bot, 1)
    assert opened.message is not None and opened.message.text == "/start ws_AbC-123"
    assert opened.message.chat.id == anna.id and world.chat_id == anna.id
    script.type(":location 52.2280 6.8961")
    (place,) = await take(emu, bot, 1)
    assert place.message is not None and place.message.location is not None
    assert place.message.location.latitude == 52.2280
    script.type(":photo")
    (photo,) = await take(emu, bot, 1)
    assert photo.message is not None and photo.message.photo
    assert photo.message.photo[-1].file_size == len(phone_photo())  # the real JPEG
    script.type(":location north")  # one argument: the usage
    script.end()
    await asyncio.wait_for(terminal, 5)
    assert "! use :location <latitude> <longitude>" in out.getvalue()
