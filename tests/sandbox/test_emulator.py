"""The Bot API emulator, driven by a real ``telegram.Bot`` as the bot under test would drive it."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    MenuButtonCommands,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from bot.sandbox import BOT_ID, BOT_USERNAME, BotApiEmulator, Limits, SentMessage
from bot.sandbox.client import SandboxClient, SandboxError
from bot.sandbox.state import SandboxUser


class FakeClock:
    """Time for the flood limits, advanced by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[BotApiEmulator]:
    """Flood limits off: most tests send several messages at one instant of the fake clock."""
    async with BotApiEmulator(limits=Limits(enabled=False), clock=clock) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


def started(emu: BotApiEmulator, name: str = "Anna", **options: str | None) -> SandboxUser:
    """A user who opened the private chat (so the bot may write to them)."""
    user = emu.add_user(name, **options)  # type: ignore[arg-type]
    emu.send_text(user.id, user.id, "/start")
    return user


async def drain(bot: Bot) -> list[int]:
    """Fetch and confirm every pending update; returns their ids."""
    updates = await bot.get_updates()
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1)
    return [u.update_id for u in updates]


# --------------------------------------------------------------------- transport


async def test_get_me_answers_the_sandbox_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name) == (BOT_ID, BOT_USERNAME, "Buurtwacht")
    assert me.can_join_groups is True


async def test_wrong_token_is_unauthorized(emu: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=emu.base_url):
            pass


async def test_unknown_method_404_and_names_case_insensitive(emu: BotApiEmulator) -> None:
    user = started(emu)
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}{emu.token}"
        async with session.post(f"{url}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with session.post(f"{url}/SENDMESSAGE", json={"chat_id": user.id, "text": "hi"}) as r:
            body = await r.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "hi"
    assert emu.stats.requests["sendMessage"] == 1


# --------------------------------------------------------------------- sending


async def test_send_message_is_recorded_and_parsed_by_ptb(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    first = await bot.send_message(anna.id, "Hallo", reply_markup=keyboard)
    second = await bot.send_message(anna.id, "Nog een")
    assert first.from_user is not None and first.from_user.id == BOT_ID
    assert first.chat.id == anna.id and first.text == "Hallo"
    assert first.reply_markup == keyboard
    assert second.message_id > first.message_id > 1  # the user's /start was message 1
    assert [m.text for m in emu.sent(anna.id)] == ["Hallo", "Nog een"]
    assert emu.buttons(emu.sent(anna.id)[0]) == [[("Ja", "yes")]]
    assert emu.last(anna.id).message_id == second.message_id
    assert emu.stats.messages_sent == 2


async def test_html_is_stored_raw_and_returned_plain(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    html = '<b>Let op</b> &amp; <a href="https://politie.nl">bel</a> &lt;3 &#128512;'
    message = await bot.send_message(anna.id, html, parse_mode="HTML")
    assert message.text == "Let op & bel <3 😀"
    assert message.text_html == '<b>Let op</b> &amp; <a href="https://politie.nl">bel</a> &lt;3 😀'
    recorded = emu.last(anna.id)
    assert (recorded.html, recorded.text, recorded.parse_mode) == (html, message.text, "HTML")


@pytest.mark.parametrize(
    "markup",
    [
        "<foo>x</foo>",
        "<b>never closed",
        "<b><i>misnested</b></i>",
        "x</b>",
        "a < b",
        "Tom & Jerry",
        "&nbsp;",
        "<span>no class</span>",
    ],
)
async def test_bad_html_is_refused_like_telegram(
    emu: BotApiEmulator, bot: Bot, markup: str
) -> None:
    anna = started(emu)
    with pytest.raises(BadRequest, match=r"^Can't parse entities: "):
        await bot.send_message(anna.id, markup, parse_mode="HTML")
    assert emu.sent(anna.id) == []


@pytest.mark.parametrize(
    ("markup", "entity"),
    [
        ("<blockquote expandable>q</blockquote>", "expandable_blockquote"),
        ('<pre><code class="language-python">x = 1</code></pre>', "pre"),
        ('<span class="tg-spoiler">s</span>', "spoiler"),
        ("<s>old</s> &quot;new&quot; &#x1F600;", "strikethrough"),
    ],
)
async def test_good_html_gives_entities(
    emu: BotApiEmulator, bot: Bot, markup: str, entity: str
) -> None:
    anna = started(emu)
    message = await bot.send_message(anna.id, markup, parse_mode="HTML")
    assert message.entities[0].type == entity
    if entity == "pre":
        assert message.entities[0].language == "python"


async def test_text_and_caption_limits(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(anna.id, "  ")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(anna.id, "<b></b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(anna.id, "x" * 4097)
    await bot.send_message(anna.id, "x" * 4096)
    await bot.send_message(anna.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(anna.id, InputFile(b"x", filename="a.txt"), caption="c" * 1025)
    assert len(emu.sent(anna.id)) == 2


async def test_send_document_multipart_round_trip(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    payload = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" * 50
    message = await bot.send_document(
        anna.id,
        InputFile(payload, filename="agenda.ics"),
        caption="<i>Agenda</i>",
        parse_mode="HTML",
    )
    assert message.document is not None and message.document.file_name == "agenda.ics"
    assert message.document.file_size == len(payload)
    assert message.caption == "Agenda" and message.caption_entities[0].type == "italic"
    recorded = emu.last(anna.id)
    assert recorded.document is not None and recorded.document.data == payload
    assert recorded.document.mime_type == "text/calendar"
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload


async def test_send_photo_and_reuse_by_file_id(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    first = await bot.send_photo(anna.id, InputFile(b"\x89PNG fake", filename="poster.png"))
    again = await bot.send_photo(anna.id, first.photo[-1].file_id, caption="nog eens")
    assert again.photo[-1].file_id == first.photo[-1].file_id
    assert [m.photo is not None and m.photo.data for m in emu.sent(anna.id)] == [
        b"\x89PNG fake",
        b"\x89PNG fake",
    ]
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(anna.id, "no-such-file")


async def test_send_media_group_album(emu: BotApiEmulator, bot: Bot, clock: FakeClock) -> None:
    anna = started(emu)
    first = await bot.send_photo(anna.id, InputFile(b"\xff\xd8one", filename="1.jpg"))
    album = await bot.send_media_group(
        anna.id,
        [
            InputMediaPhoto(first.photo[-1].file_id, caption="<b>#1</b> lamp", parse_mode="HTML"),
            InputMediaPhoto(b"\xff\xd8two", caption="#2 heg", filename="2.jpg"),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id is not None
    assert [m.caption for m in album] == ["#1 lamp", "#2 heg"]
    assert album[0].caption_entities[0].type == "bold"
    recorded = emu.sent(anna.id)[-2:]
    assert [m.photo.data for m in recorded if m.photo] == [b"\xff\xd8one", b"\xff\xd8two"]
    with pytest.raises(BadRequest, match="must be 2-10"):
        await bot.send_media_group(anna.id, [InputMediaPhoto(first.photo[-1].file_id)])
    mixed = [
        InputMediaPhoto(first.photo[-1].file_id),
        InputMediaDocument(b"a,b", filename="x.csv"),
    ]
    with pytest.raises(BadRequest, match="specified type"):
        await bot.send_media_group(anna.id, mixed)
    # One album is one send for the flood limits: a second one in the same second is refused.
    emu.set_limits(enabled=True)
    clock.advance(5)
    photos = [InputMediaPhoto(first.photo[-1].file_id) for _ in range(3)]
    assert len(await bot.send_media_group(anna.id, photos)) == 3
    with pytest.raises(RetryAfter):
        await bot.send_media_group(anna.id, photos)


async def test_user_photo_bytes_and_location(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    emu.send_photo(anna.id, anna.id, data=b"\xff\xd8\xff\xe1real jpeg bytes")
    emu.send_location(anna.id, anna.id, 52.2215, 6.8937)
    with pytest.raises(ValueError, match="not a location"):
        emu.send_location(anna.id, anna.id, 95.0, 6.9)
    photo, place = (u.message for u in await bot.get_updates())
    assert photo is not None and place is not None and place.location is not None
    assert (place.location.latitude, place.location.longitude) == (52.2215, 6.8937)
    data = await (await bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert bytes(data) == b"\xff\xd8\xff\xe1real jpeg bytes"
    assert photo.photo[-1].file_size == len(data)


async def test_reply_parameters_are_checked(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    user_message = emu.send_text(anna.id, anna.id, "waar is de agenda?")
    reply = await bot.send_message(anna.id, "hier", reply_parameters=ReplyParameters(user_message))
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "waar is de agenda?"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(anna.id, "x", reply_parameters=ReplyParameters(999))
    await bot.send_message(
        anna.id, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )


async def test_too_long_callback_data_is_refused(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(anna.id, "x", reply_markup=keyboard)


async def test_send_chat_action(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    assert await bot.send_chat_action(anna.id, "typing") is True
    assert emu.stats.messages_sent == 0


# --------------------------------------------------------------------- chats that refuse


async def test_unknown_chat_and_unstarted_user(emu: BotApiEmulator, bot: Bot) -> None:
    stranger = emu.add_user("Stranger")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "x")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "x")


async def test_blocked_user(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    await drain(bot)
    emu.block_bot(anna.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(anna.id, "x")
    (update,) = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    emu.unblock_bot(anna.id)
    await bot.send_message(anna.id, "welkom terug")


async def test_writing_to_a_blocked_bot_restarts_it(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    emu.block_bot(anna.id)
    emu.send_text(anna.id, anna.id, "/start")
    assert not emu.user(anna.id).blocked
    await bot.send_message(anna.id, "hallo")


async def test_deactivated_user(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    emu.deactivate_user(anna.id)
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(anna.id, "x")


async def test_kicked_from_group_and_added_back(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    group = emu.add_group("Roombeek", admins=[anna.id])
    await bot.send_message(group.id, "hallo groep")
    emu.remove_bot_from_group(group.id, anna.id)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "x")
    emu.add_bot_to_group(group.id, anna.id)
    await bot.send_message(group.id, "terug")
    statuses = [
        u.my_chat_member.new_chat_member.status
        for u in await bot.get_updates()
        if u.my_chat_member is not None
    ]
    assert statuses == ["member", "kicked", "member"]


async def test_add_group_announces_the_bot(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    bram = emu.add_user("Bram", language_code="en")
    group = emu.add_group("Roombeek", admins=[anna.id], members=[bram.id], supergroup=True)
    assert str(group.id).startswith("-100") and len(str(group.id)) == 14
    (update,) = await bot.get_updates()
    change = update.my_chat_member
    assert change is not None and change.chat.id == group.id
    assert change.from_user.id == anna.id
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("left", "member")


async def test_migration_to_supergroup(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    bram = emu.add_user("Bram")
    group = emu.add_group("Roombeek", admins=[anna.id], members=[bram.id])
    await drain(bot)
    new_id = emu.migrate_group(group.id)
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(group.id, "x")
    assert raised.value.new_chat_id == new_id
    first, second = await bot.get_updates()
    assert first.message is not None and first.message.migrate_to_chat_id == new_id
    assert second.message is not None and second.message.migrate_from_chat_id == group.id
    await bot.send_message(new_id, "verhuisd")
    member = await bot.get_chat_member(new_id, bram.id)
    assert member.status == "member"
    assert (await bot.get_chat(new_id)).type == "supergroup"


# --------------------------------------------------------------------- updates


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emu: BotApiEmulator, bot: Bot
) -> None:
    anna = emu.add_user("Anna")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_for(lambda: emu.stats.requests["getUpdates"] == 1)
    emu.send_text(anna.id, anna.id, "hallo")
    # far below the 30 s poll timeout: only an early answer makes this pass
    (update,) = await asyncio.wait_for(poll, 5)
    assert update.message is not None and update.message.text == "hallo"


async def test_offsets_confirm_updates(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    for text in ("een", "twee", "drie"):
        emu.send_text(anna.id, anna.id, text)
    ids = [u.update_id for u in await bot.get_updates()]
    assert len(ids) == 3
    assert [u.update_id for u in await bot.get_updates()] == ids  # not confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
    assert await bot.get_updates(offset=ids[-1] + 1) == ()
    assert emu.pending_updates == 0


async def test_negative_offset_forgets_older_updates(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    for text in ("een", "twee", "drie"):
        emu.send_text(anna.id, anna.id, text)
    (last,) = await bot.get_updates(offset=-1)
    assert last.message is not None and last.message.text == "drie"
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["drie"]


async def test_allowed_updates_drop_other_kinds(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    message = await bot.send_message(anna.id, "?", reply_markup=keyboard)
    emu.press(anna.id, anna.id, message.message_id, "a")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in updates] == [True]
    assert emu.pending_updates == 1


async def test_webhook_blocks_polling(emu: BotApiEmulator, bot: Bot) -> None:
    assert await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()


async def test_second_poll_terminates_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_for(lambda: emu.stats.requests["getUpdates"] == 1)
    async with Bot(emu.token, base_url=emu.base_url) as second_instance:
        await second_instance.get_updates()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 5)


async def test_user_messages_get_command_entities(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    emu.send_text(anna.id, anna.id, "/start")
    emu.send_text(anna.id, anna.id, f"/melding@{BOT_USERNAME} achterdeur open")
    emu.send_text(anna.id, anna.id, "gewoon tekst")
    start, melding, plain = (u.message for u in await bot.get_updates())
    assert start is not None and melding is not None and plain is not None
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 6
    assert melding.entities[0].length == len(f"/melding@{BOT_USERNAME}")
    assert plain.entities == ()
    assert start.from_user is not None and start.from_user.language_code == "nl"


async def test_photo_and_sticker_updates_parse(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    emu.send_photo(anna.id, anna.id, caption="verdacht")
    emu.send_sticker(anna.id, anna.id)
    photo, sticker = (u.message for u in await bot.get_updates())
    assert photo is not None and photo.photo and photo.caption == "verdacht"
    assert sticker is not None and sticker.sticker is not None
    data = await (await bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert data


async def test_group_privacy_mode(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    group = emu.add_group("Roombeek", admins=[anna.id])
    await drain(bot)
    emu.send_text(anna.id, group.id, "gewoon gepraat")
    emu.send_text(anna.id, group.id, "/agenda")
    sent = await bot.send_message(group.id, "vraag?")
    emu.send_text(anna.id, group.id, "antwoord", reply_to=sent.message_id)
    texts = [u.message.text for u in await bot.get_updates() if u.message]
    assert texts == ["/agenda", "antwoord"]


# --------------------------------------------------------------------- edits and buttons


async def test_edit_message_text(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    sent = await bot.send_message(anna.id, "Vraag", reply_markup=keyboard)
    edited = await bot.edit_message_text(
        "<b>Klaar</b>", anna.id, sent.message_id, parse_mode="HTML"
    )
    assert edited.text == "Klaar" and edited.edit_date is not None
    recorded = await emu.wait_edit(anna.id, sent.message_id, 1)
    assert (recorded.text, recorded.html, recorded.edits) == ("Klaar", "<b>Klaar</b>", 1)
    assert recorded.reply_markup is None  # an edit without reply_markup drops the keyboard
    assert emu.stats.messages_sent == 1
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<strong>Klaar</strong>", anna.id, sent.message_id, parse_mode="HTML"
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", anna.id, 999)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.edit_message_text("<b>x", anna.id, sent.message_id, parse_mode="HTML")


async def test_edit_reply_markup_and_caption(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    text = await bot.send_message(anna.id, "Kies")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    updated = await bot.edit_message_reply_markup(anna.id, text.message_id, reply_markup=keyboard)
    assert updated.reply_markup == keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(anna.id, text.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(anna.id, text.message_id, caption="x")
    doc = await bot.send_document(anna.id, InputFile(b"x", filename="a.txt"), caption="oud")
    await bot.edit_message_caption(anna.id, doc.message_id, caption="nieuw")
    assert emu.last(anna.id).caption == "nieuw" and emu.last(anna.id).edits == 1
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", anna.id, doc.message_id)


async def test_delete_message(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    sent = await bot.send_message(anna.id, "weg ermee")
    assert await bot.delete_message(anna.id, sent.message_id) is True
    assert emu.last(anna.id).deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(anna.id, sent.message_id)


async def test_buttons_callbacks_and_answers(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    await drain(bot)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Ja", callback_data="sub:yes")],
            [
                InlineKeyboardButton("Nee", callback_data="sub:no"),
                InlineKeyboardButton("Info", url="https://example.org"),
            ],
        ]
    )
    sent = await bot.send_message(anna.id, "Aanmelden?", reply_markup=keyboard)
    by_label = emu.press(anna.id, anna.id, sent.message_id, "Nee")
    by_index = emu.press(anna.id, anna.id, sent.message_id, 0)
    forged = emu.press_button(anna.id, anna.id, sent.message_id, "admin:delete_all")
    updates = await bot.get_updates()
    queries = [u.callback_query for u in updates]
    assert [(q.id, q.data) for q in queries if q] == [
        (by_label, "sub:no"),
        (by_index, "sub:yes"),
        (forged, "admin:delete_all"),
    ]
    first = queries[0]
    assert first is not None and first.message is not None
    assert first.message.message_id == sent.message_id and first.from_user.id == anna.id
    assert emu.answer(by_label) is None
    await bot.answer_callback_query(by_label, "Afgemeld", show_alert=True)
    assert (await emu.wait_answer(by_label))["text"] == "Afgemeld"
    assert emu.answer(by_label) == {
        "text": "Afgemeld",
        "show_alert": True,
        "url": None,
        "cache_time": None,
    }
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(by_label)
    with pytest.raises(LookupError, match="no button 'Misschien'"):
        emu.press(anna.id, anna.id, sent.message_id, "Misschien")
    with pytest.raises(LookupError, match="no callback_data"):
        emu.press(anna.id, anna.id, sent.message_id, "Info")


async def test_on_bot_message_hook_sees_every_event(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    seen: list[tuple[str, int]] = []
    emu.on_bot_message = lambda m: seen.append((m.last_event, m.message_id))
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    sent = await bot.send_message(anna.id, "a", reply_markup=keyboard)
    await bot.edit_message_text("b", anna.id, sent.message_id)
    query = emu.press_button(anna.id, anna.id, sent.message_id, "yes")
    await bot.answer_callback_query(query, "ok")
    await bot.delete_message(anna.id, sent.message_id)
    mid = sent.message_id
    assert seen == [("sent", mid), ("edited", mid), ("answered", mid), ("deleted", mid)]


# --------------------------------------------------------------------- chat info and settings


async def test_chat_info_members_and_admins(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    bram = emu.add_user("Bram", language_code="en")
    outsider = emu.add_user("Carla")
    group = emu.add_group("Roombeek", admins=[anna.id], members=[bram.id])
    assert (await bot.get_chat(anna.id)).first_name == "Anna"
    assert (await bot.get_chat(group.id)).title == "Roombeek"
    statuses = [
        (await bot.get_chat_member(group.id, uid)).status
        for uid in (anna.id, bram.id, outsider.id, BOT_ID)
    ]
    assert statuses == ["creator", "member", "left", "member"]
    emu.set_admin(group.id, bram.id, True)
    emu.set_admin(group.id, BOT_ID, True)
    admins = await bot.get_chat_administrators(group.id)
    assert [(a.user.id, a.status) for a in admins] == [
        (anna.id, "creator"),
        (bram.id, "administrator"),
        (BOT_ID, "administrator"),
    ]
    assert await bot.get_chat_member_count(group.id) == 3
    with pytest.raises(BadRequest, match="There are no administrators in the private chat"):
        await bot.get_chat_administrators(anna.id)


async def test_commands_per_scope_and_language(emu: BotApiEmulator, bot: Bot) -> None:
    nl = [BotCommand("start", "Begin"), BotCommand("agenda", "Komende tips")]
    en = [BotCommand("start", "Start")]
    assert await bot.set_my_commands(nl)
    await bot.set_my_commands(en, language_code="en")
    await bot.set_my_commands([BotCommand("beheer", "Beheer")], scope=BotCommandScopeChat(-5))
    assert await bot.get_my_commands() == tuple(nl)
    assert await bot.get_my_commands(language_code="en") == tuple(en)
    assert emu.commands({"type": "chat", "chat_id": -5}) == [
        {"command": "beheer", "description": "Beheer"}
    ]
    assert emu.commands(None, "en") == [{"command": "start", "description": "Start"}]
    await bot.delete_my_commands(language_code="en")
    assert emu.commands(None, "en") == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "hoofdletter")])


async def test_descriptions_and_menu_button(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_description("Buurtwacht helpt je buurt", language_code="nl")
    await bot.set_my_short_description("Inbraakpreventie")
    assert (await bot.get_my_description("nl")).description == "Buurtwacht helpt je buurt"
    assert (await bot.get_my_short_description()).short_description == "Inbraakpreventie"
    assert emu.description("nl") == "Buurtwacht helpt je buurt" and emu.description("en") == ""
    assert emu.short_description() == "Inbraakpreventie"
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    assert await bot.log_out() is True
    assert await bot.close() is True


# --------------------------------------------------------------------- flood limits


async def test_per_chat_limit(emu: BotApiEmulator, bot: Bot, clock: FakeClock) -> None:
    anna = started(emu)
    bram = started(emu, "Bram")
    emu.limits = Limits()
    await bot.send_message(anna.id, "1")
    await bot.send_message(bram.id, "another chat is fine")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(anna.id, "2")
    assert raised.value.retry_after == dtm.timedelta(seconds=1)
    clock.advance(1.0)
    await bot.send_message(anna.id, "2")
    assert emu.stats.too_many_requests == 1
    assert [m.text for m in emu.sent(anna.id)] == ["1", "2"]


async def test_per_group_minute_limit(emu: BotApiEmulator, bot: Bot, clock: FakeClock) -> None:
    anna = emu.add_user("Anna")
    group = emu.add_group("Roombeek", admins=[anna.id])
    emu.limits = Limits()
    for _ in range(20):
        await bot.send_message(group.id, "tip")
        clock.advance(1.0)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(group.id, "te veel")
    assert raised.value.retry_after == dtm.timedelta(seconds=40)  # the first one was at t=0
    clock.advance(40.0)
    await bot.send_message(group.id, "weer ruimte")
    assert emu.stats.too_many_requests == 1


async def test_group_limit_respected_gives_no_429(
    emu: BotApiEmulator, bot: Bot, clock: FakeClock
) -> None:
    anna = emu.add_user("Anna")
    group = emu.add_group("Roombeek", admins=[anna.id])
    emu.limits = Limits()
    for _ in range(45):
        await bot.send_message(group.id, "tip")
        clock.advance(3.0)
    assert emu.stats.too_many_requests == 0


async def test_global_limit(emu: BotApiEmulator, bot: Bot, clock: FakeClock) -> None:
    users = [started(emu, f"U{n}") for n in range(31)]
    emu.limits = Limits()
    for user in users[:30]:
        await bot.send_message(user.id, "broadcast")
    with pytest.raises(RetryAfter):
        await bot.send_message(users[30].id, "broadcast")
    clock.advance(1.0)
    await bot.send_message(users[30].id, "broadcast")
    for user in users[:30]:  # just under 30 a second: never over the limit
        clock.advance(0.035)
        await bot.send_message(user.id, "paced")
    assert emu.stats.too_many_requests == 1


async def test_limits_switch_off_at_runtime(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    emu.limits = Limits()
    await bot.send_message(anna.id, "1")
    emu.set_limits(enabled=False)
    await bot.send_message(anna.id, "2")
    assert emu.stats.too_many_requests == 0


async def test_edits_do_not_count_for_limits(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    emu.limits = Limits()
    sent = await bot.send_message(anna.id, "0")
    for n in range(1, 4):
        await bot.edit_message_text(str(n), anna.id, sent.message_id)
    assert emu.stats.too_many_requests == 0


# --------------------------------------------------------------------- injected failures


async def test_server_error_is_a_network_error(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    emu.fail_next(anna.id, "server_error", count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as raised:
            await bot.send_message(anna.id, "x")
        assert not isinstance(raised.value, BadRequest | TimedOut)
    await bot.send_message(anna.id, "nu wel")
    assert [m.text for m in emu.sent(anna.id)] == ["nu wel"]


async def test_injected_bad_request(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    emu.fail_next(anna.id, "bad_request", description="Bad Request: message to reply not found")
    with pytest.raises(BadRequest, match="Message to reply not found"):
        await bot.send_message(anna.id, "x")
    emu.fail_next(None, "bad_request", method="editMessageText")
    await bot.send_message(anna.id, "y")  # other methods pass
    with pytest.raises(BadRequest):
        await bot.edit_message_text("z", anna.id, emu.last(anna.id).message_id)


async def test_timeout_delivers_but_answers_too_late(emu: BotApiEmulator) -> None:
    anna = started(emu)
    emu.timeout_delay = 1.0
    emu.fail_next(anna.id, "timeout")
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(emu.token, base_url=emu.base_url, request=request) as slow_bot:
        with pytest.raises(TimedOut):
            await slow_bot.send_message(anna.id, "verloren antwoord")
    assert [m.text for m in emu.sent(anna.id)] == ["verloren antwoord"]


# --------------------------------------------------------------------- waiting


async def test_wait_for_times_out_with_the_last_calls(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    await bot.send_message(anna.id, "x")
    with pytest.raises(TimeoutError, match=r"sendMessage chat_id=\d+ -> ok"):
        await emu.wait_for(lambda: False, timeout=0.05)


async def test_wait_sent_wakes_on_the_message(emu: BotApiEmulator, bot: Bot) -> None:
    anna = started(emu)
    waiter = asyncio.create_task(emu.wait_sent(anna.id, 2))
    await bot.send_message(anna.id, "een")
    assert not waiter.done()
    await bot.send_message(anna.id, "twee")
    messages: list[SentMessage] = await asyncio.wait_for(waiter, 5)
    assert [m.text for m in messages] == ["een", "twee"]


async def test_wait_idle_needs_confirmed_updates(emu: BotApiEmulator, bot: Bot) -> None:
    anna = emu.add_user("Anna")
    await emu.wait_idle(timeout=1)
    emu.send_text(anna.id, anna.id, "hallo")
    with pytest.raises(TimeoutError, match="1 updates unconfirmed"):
        await emu.wait_idle(timeout=0.1)
    await drain(bot)
    await emu.wait_idle(timeout=1)


# --------------------------------------------------------------------- control over HTTP


async def test_http_control_client(emu: BotApiEmulator, bot: Bot) -> None:
    async with SandboxClient(emu.control_url) as client:
        anna = await client.add_user("Anna", language_code="nl")
        message_id = await client.send_text(anna["id"], anna["id"], "/start")
        (update,) = await bot.get_updates()
        assert update.message is not None and update.message.message_id == message_id
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
        await bot.send_message(
            anna["id"], "<b>Welkom</b>", parse_mode="HTML", reply_markup=keyboard
        )
        (sent,) = await client.wait_sent(anna["id"], 1)
        assert (sent["text"], sent["html"]) == ("Welkom", "<b>Welkom</b>")
        assert sent["buttons"] == [[["Ja", "yes"]]]
        query_id = await client.press(anna["id"], anna["id"], sent["message_id"], "Ja")
        await bot.get_updates(offset=update.update_id + 1)
        (press,) = await bot.get_updates()
        assert press.callback_query is not None and press.callback_query.id == query_id
        await client.call("fail_next", chat_id=anna["id"], kind="server_error")
        with pytest.raises(NetworkError):
            await bot.send_message(anna["id"], "x")
        stats = await client.call("stats")
        assert stats["requests"]["sendMessage"] == 2
        with pytest.raises(SandboxError, match="no sandbox user"):
            await client.send_text(1, 1, "x")


# --------------------------------------------------------------------- a real PTB application


async def test_ptb_application_polls_and_replies(emu: BotApiEmulator) -> None:
    """The shape of the end-to-end tests: the bot polls, a user writes, the test reads."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Welkom</b> bij Buurtwacht")

    async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        return None

    app = Application.builder().token(emu.token).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT, ignore))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        await app.start()
        anna = emu.add_user("Anna")
        emu.send_text(anna.id, anna.id, "/start")
        (welcome,) = await emu.wait_sent(anna.id, 1)
        assert welcome.text == "Welkom bij Buurtwacht"
        emu.send_text(anna.id, anna.id, "zomaar iets")
        await emu.wait_idle()
        assert len(emu.sent(anna.id)) == 1
        await app.updater.stop()
        await app.stop()
    assert emu.pending_updates == 0
