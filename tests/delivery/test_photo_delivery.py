"""A broadcast with an image goes out as a photo with the text as caption."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

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
