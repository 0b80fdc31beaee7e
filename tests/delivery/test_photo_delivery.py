"""A broadcast with an image goes out as a photo with the text as caption."""

from __future__ import annotations

import asyncio
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from scheduler.delivery import Audience, Content
from tests.harness import BotHarness


def tiny_png(path: Path) -> Path:
    """A valid 1x1 PNG, written here so the test needs no image file in the repo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


async def test_image_is_sent_as_photo_with_caption(
    emu: BotApiEmulator, bot: BotHarness, tmp_path: Path
) -> None:
    user = emu.add_user("Resident", language_code="en").id
    emu.open_private_chat(user)
    await bot.services.chats.ensure(user, "private", "en")
    await bot.services.chats.subscribe(
        user, municipality="borne", neighbourhood=None, topics=frozenset({"burglary"}), locale="en"
    )
    image = tiny_png(tmp_path / "tip.png")
    content = Content({"nl": "<b>Tip</b> nl", "en": "<b>Tip</b> en"}, image=image)
    audience = Audience(municipalities=frozenset({"borne"}))
    engine = bot.services.engine
    await engine.materialize("photo:1", content, audience, bot.services.now(), source="t", ref="1")
    await engine.drain()
    (message,) = emu.sent(user)
    assert message.photo is not None and message.photo.data == image.read_bytes()
    assert message.caption == "Tip en" and message.parse_mode == "HTML"
    assert await bot.services.outbox.counts("photo:1") == {"sent": 1}


async def test_a_photo_is_uploaded_once_and_reused_after_a_restart(
    emu: BotApiEmulator, bot: BotHarness, tmp_path: Path
) -> None:
    admin = emu.add_user("Beheerder").id
    groups = [emu.add_group(f"Buurt {i}", admins=[admin]).id for i in range(5)]
    residents = [emu.add_user(f"Bewoner {i}").id for i in range(10)]
    for chat_id in [*groups, *residents]:
        if chat_id > 0:
            emu.open_private_chat(chat_id)
        await bot.services.chats.ensure(chat_id, "group" if chat_id < 0 else "private", "nl")
        await bot.services.chats.subscribe(
            chat_id, municipality="borne", neighbourhood=None, topics=frozenset(), locale="nl"
        )
    image = tiny_png(tmp_path / "poster.png")
    content = Content({"nl": "<b>Poster</b>"}, image=image)
    now = bot.services.now()
    # Groups now; private chats are held (as by quiet hours) until after a restart.
    await bot.services.engine.materialize(
        "photo:2",
        content,
        Audience(frozenset({"borne"})),
        now,
        now + timedelta(hours=1),
        source="t",
        ref="2",
    )
    await bot.services.engine.drain()
    assert emu.stats.uploads == 1
    assert await bot.services.outbox.counts("photo:2") == {"sent": 5, "pending": 10}

    await bot.restart()
    bot.services.now = lambda: now + timedelta(hours=2)
    await bot.services.engine.drain()
    assert await bot.services.outbox.counts("photo:2") == {"sent": 15}
    assert emu.stats.uploads == 1  # the other 14 referred to Telegram's file_id
    file_ids = {m.photo.file_id for c in [*groups, *residents] for m in emu.sent(c) if m.photo}
    assert len(file_ids) == 1
    assert all(m.caption == "Poster" for c in residents for m in emu.sent(c))


async def test_a_slow_read_of_the_content_never_forgets_the_uploaded_photo(
    emu: BotApiEmulator, bot: BotHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers miss the content cache together and both read the broadcast. When the second
    read only returns after the first worker uploaded the photo and remembered its file_id, that
    older copy (without the file_id) replaced the cached one and the photo was uploaded again."""
    residents = [emu.add_user(f"Bewoner {i}").id for i in range(2)]
    for chat_id in residents:
        emu.open_private_chat(chat_id)
        await bot.services.chats.ensure(chat_id, "private", "nl")
        await bot.services.chats.subscribe(
            chat_id, municipality="borne", neighbourhood=None, topics=frozenset(), locale="nl"
        )
    outbox = bot.services.outbox
    read, remember = outbox.content, outbox.remember_image
    reads: list[Content] = []
    remembered = asyncio.Event()

    async def slow_second_read(key: str) -> Content:
        content = await read(key)
        reads.append(content)
        if len(reads) == 2:  # read before the upload, returned after it
            await remembered.wait()
        return content

    async def remember_image(key: str, file_id: str) -> None:
        await remember(key, file_id)
        remembered.set()

    monkeypatch.setattr(outbox, "content", slow_second_read)
    monkeypatch.setattr(outbox, "remember_image", remember_image)
    content = Content({"nl": "<b>Poster</b>"}, image=tiny_png(tmp_path / "poster.png"))
    audience = Audience(frozenset({"borne"}))
    engine = bot.services.engine
    await engine.materialize("photo:3", content, audience, bot.services.now(), source="t", ref="3")
    await engine.drain()
    assert len(reads) == 2 and reads[1].image_id is None  # the interleaving took place
    assert emu.stats.uploads == 1
    assert await outbox.counts("photo:3") == {"sent": 2}
