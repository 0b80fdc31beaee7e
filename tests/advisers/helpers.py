"""Chat helpers for the adviser tests: write, press, and wait for the bot's messages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import SentMessage
from bot.storage.campaigns import Campaign, CampaignState
from bot.subscription import DEFAULT_TOPICS
from scheduler.delivery import Audience, Content
from tests.harness import ROOT, BotHarness


async def say(
    emu: BotApiEmulator, user: int, text: str, replies: int = 1, chat: int | None = None
) -> list[SentMessage]:
    """Send `text` and return the bot's next `replies` messages in that chat."""
    chat_id = user if chat is None else chat
    before = len(emu.sent(chat_id))
    emu.send_text(user, chat_id, text)
    return (await emu.wait_sent(chat_id, before + replies))[before:]


async def press(
    emu: BotApiEmulator,
    user: int,
    label: str | int,
    replies: int = 0,
    message_id: int | None = None,
) -> dict[str, object]:
    """Press a button on the bot's last (or given) message; wait for the answer and replies."""
    before = len(emu.sent(user))
    mid = emu.last(user).message_id if message_id is None else message_id
    answer = await emu.wait_answer(emu.press(user, user, mid, label))
    if replies:
        await emu.wait_sent(user, before + replies)
    return answer


async def forge(emu: BotApiEmulator, user: int, chat: int, data: str) -> dict[str, object]:
    """A press with forged callback data on the bot's last message in `chat`."""
    return await emu.wait_answer(emu.press_button(user, chat, emu.last(chat).message_id, data))


def labels(message: SentMessage) -> list[str]:
    return [label for row in message.buttons() for label, _data in row]


async def resident(
    emu: BotApiEmulator,
    bot: BotHarness,
    name: str,
    municipality: str,
    *,
    neighbourhood: str | None = None,
    topics: frozenset[str] = frozenset({"burglary"}),
    locale: str = "en",
) -> int:
    """A subscribed resident whose private chat with the bot exists (they sent /start)."""
    user = emu.add_user(name, language_code=locale).id
    await say(emu, user, "/start")
    await bot.services.chats.subscribe(
        user, municipality=municipality, neighbourhood=neighbourhood, topics=topics, locale=locale
    )
    return user


async def group(
    emu: BotApiEmulator,
    bot: BotHarness,
    title: str,
    admin: int,
    municipality: str,
    *,
    neighbourhood: str | None = None,
    members: list[int] | None = None,
    topics: frozenset[str] = DEFAULT_TOPICS,
) -> int:
    """A subscribed group with the bot in it (with the wizard's default topics)."""
    chat = emu.add_group(title, admins=[admin], members=members or [])
    await emu.wait_for(lambda: emu.pending_updates == 0)
    await emu.wait_idle()
    await bot.services.chats.ensure(chat.id, "group", "en")
    await bot.services.chats.subscribe(
        chat.id,
        municipality=municipality,
        neighbourhood=neighbourhood,
        topics=topics,
        locale="en",
    )
    return chat.id


async def adviser(
    emu: BotApiEmulator, bot: BotHarness, name: str, municipality: str, locale: str = "en"
) -> int:
    """An adviser granted directly, as the demo does, with a private chat."""
    user = emu.add_user(name, language_code=locale).id
    await say(emu, user, "/help")
    await bot.services.roles.grant(user, "adviser", [municipality], label=name)
    return user


def config_file(tmp_path: Path, config: Config) -> str:
    """The example configuration on disk, pointing at the test's database (for the CLI)."""
    text = (ROOT / "config.example.toml").read_text("utf-8")
    path = tmp_path / "config.toml"
    path.write_text(
        text.replace('path = "buurtwacht.sqlite3"', f'path = "{config.storage.path}"'), "utf-8"
    )
    return str(path)


async def campaign_text(
    emu: BotApiEmulator,
    user: int,
    text: str,
    language: str = "English",
    same: str | None = "Send them the English text",
    command: str = "/campaign",
) -> None:
    """Start the wizard, send `text` and name its language; with `same` (that button's label)
    the other language gets the same text and the audience screen is next."""
    await say(emu, user, command)
    await say(emu, user, text)
    await press(emu, user, language, replies=1)
    if same is not None:
        await press(emu, user, same, replies=1)


async def stored_campaign(
    bot: BotHarness,
    author: int,
    municipalities: set[str],
    due: datetime,
    *,
    en: str = "Lock the door",
    nl: str = "Doe de deur op slot",
    state: CampaignState = "scheduled",
) -> Campaign:
    """A campaign row as the wizard stores it, for tests about what comes after the wizard."""
    return await bot.services.campaigns.create(
        author, Content({"nl": nl, "en": en}), Audience(frozenset(municipalities)), due, state
    )
