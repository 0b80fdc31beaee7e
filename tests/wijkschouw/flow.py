"""Driving a wijkschouw through the emulator: a subscribed neighbourhood group, the organiser,
participants reporting in their private chats, and a phone photo with GPS tags."""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from PIL import ExifTags, Image

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.media import phone_photo
from bot.sandbox.state import SentMessage
from tests.advice.flow import press, say
from tests.harness import BotHarness


def gps_jpeg(width: int = 64, height: int = 48) -> bytes:
    """A real JPEG as a phone writes it: camera, a rotated orientation (the bot must apply it
    before stripping), a GPS position, and a comment."""
    return phone_photo(width, height, orientation=6, comment=b"home of the reporter")


def metadata(data: bytes) -> tuple[dict[int, object], dict[int, object], dict[str, object]]:
    """(EXIF base tags, GPS tags, Pillow's info) of a JPEG."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return dict(exif), dict(exif.get_ifd(ExifTags.IFD.GPSInfo)), dict(image.info)


@dataclass
class Neighbourhood:
    group: int
    organiser: int  # a group administrator
    members: list[int]


async def neighbourhood(
    emu: BotApiEmulator, bot: BotHarness, members: int = 2, locale: str = "en"
) -> Neighbourhood:
    """A neighbourhood group of Enschede-Noord, subscribed, with an admin and members."""
    organiser = emu.add_user("Olga", language_code=locale).id
    people = [emu.add_user(f"Neighbour{i}", language_code=locale).id for i in range(members)]
    chat = emu.add_group("Buurt Noord", admins=[organiser], members=people)
    await emu.wait_idle()
    services = bot.services
    await services.chats.ensure(chat.id, "group", locale)
    await services.chats.subscribe(
        chat.id,
        municipality="enschede",
        neighbourhood="Noord",
        topics=frozenset({"burglary"}),
        locale=locale,
    )
    return Neighbourhood(chat.id, organiser, people)


def invitation(emu: BotApiEmulator, group: int) -> SentMessage:
    """The group's latest invitation (the message with the join button)."""
    for message in reversed(emu.sent(group)):
        if any(data and data.startswith("wsj:") for _t, data in message.flat_buttons()):
            return message
    raise LookupError("no invitation in the group")


def report_link(message: SentMessage) -> str:
    """The payload of the invitation's "Report a finding" deep link."""
    url = next(data for text, data in message.flat_buttons() if "Report" in text or "Meld" in text)
    assert url is not None
    parsed = urlparse(url)
    assert parsed.netloc == "t.me"
    return parse_qs(parsed.query)["start"][0]


async def start_walk(emu: BotApiEmulator, hood: Neighbourhood, plan: str) -> SentMessage:
    await say(emu, hood.organiser, hood.group, f"/wijkschouw {plan}")
    return invitation(emu, hood.group)


async def report(
    emu: BotApiEmulator,
    user: int,
    payload: str,
    category: str,
    *,
    photo: bytes | None = None,
    location: tuple[float, float] | None = None,
    street: str | None = None,
    note: str | None = None,
) -> str:
    """One finding through the private chat (English labels); returns the bot's last text."""
    assert "What did you see?" in (await say(emu, user, user, f"/start {payload}")).text
    await press(emu, user, user, category)
    if photo is not None:
        before = len(emu.sent(user))
        emu.send_photo(user, user, data=photo)
        await emu.wait_sent(user, before + 1)
        await emu.wait_idle()
    else:
        await press(emu, user, user, "No photo")
    assert "Where is it?" in emu.last(user).text
    before = len(emu.sent(user))
    if location is not None:
        emu.send_location(user, user, *location)
    else:
        assert street is not None
        emu.send_text(user, user, street)
    await emu.wait_sent(user, before + 2)
    await emu.wait_idle()
    assert "short note" in emu.last(user).text
    if note is None:
        await press(emu, user, user, "No note")
    else:
        await say(emu, user, user, note)
    assert "Your finding" in emu.last(user).text
    await press(emu, user, user, "Save")
    return emu.last(user).text or ""
