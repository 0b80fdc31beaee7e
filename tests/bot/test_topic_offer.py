"""Chats that subscribed before holidays and Stop Heling became default topics are offered them
once, by the bot, and nothing changes without a yes from someone who may decide for the chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from bot.handlers.topic_offer import send_topic_offers
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from bot.storage.database import to_db_time
from bot.storage.migrations import MIGRATIONS
from tests.harness import BotHarness

TZ = ZoneInfo("Europe/Amsterdam")
# The schema step that made holidays and Stop Heling default and recorded the offers.
OFFERS_VERSION = next(
    number
    for number, step in enumerate(MIGRATIONS, start=1)
    if any("CREATE TABLE topic_offers" in statement for statement in step)
)
DAYTIME = datetime(2027, 3, 2, 11, 0, tzinfo=UTC)
NIGHT = datetime(2027, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Enschede: quiet hours


async def subscribed_before_the_change(config: Config, chats: dict[int, set[str]]) -> None:
    """The database as the previous version left it: these chats subscribed with `topics`
    (written as that version wrote them: the chat columns of its schema only)."""
    db = Database(config.storage.path)
    await db.open(migrate_to=OFFERS_VERSION - 1)
    now = to_db_time(DAYTIME)
    await db.executemany(
        "INSERT INTO chats (chat_id, kind, locale, municipality, topics, subscribed, "
        "created_at, updated_at, subscribed_at) VALUES (?, ?, ?, 'enschede', ?, 1, ?, ?, ?)",
        [
            (
                chat_id,
                "group" if chat_id < 0 else "private",
                "nl" if chat_id < 0 else "en",
                ",".join(sorted(topics)),
                now,
                now,
                now,
            )
            for chat_id, topics in chats.items()
        ],
    )
    await db.close()


def press(emu: BotApiEmulator, user: int, chat: int, message_id: int, label: str) -> str:
    return emu.press(user, chat, message_id, label)


async def answer_text(emu: BotApiEmulator, query_id: str) -> str:
    answer = await emu.wait_answer(query_id)
    return str((answer or {}).get("text") or "")


async def test_the_offer_is_sent_after_start_up(emu: BotApiEmulator, config: Config) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    emu.open_private_chat(anna)
    await subscribed_before_the_change(config, {anna: {"burglary"}})
    harness = BotHarness(emu, config, clock=lambda: DAYTIME)
    await harness.start()
    try:
        (offer,) = await emu.wait_sent(anna, 1)
        assert offer.text.startswith("New in Buurtwacht")
        assert "Holidays, Registering valuables (Stop Heling)" in offer.text
        assert [b[0] for row in offer.buttons() for b in row] == ["Yes, add them", "No, thank you"]
    finally:
        await harness.stop()


@pytest.fixture
async def old_world(
    emu: BotApiEmulator, config: Config
) -> AsyncIterator[tuple[BotHarness, dict[str, int]]]:
    ids = {
        "anna": emu.add_user("Anna", language_code="en").id,  # burglary only
        "bram": emu.add_user("Bram", language_code="en").id,  # has everything already
        "cees": emu.add_user("Cees", language_code="en").id,  # blocked the bot meanwhile
        "admin": emu.add_user("Dewi", language_code="nl").id,
        "member": emu.add_user("Eef", language_code="nl").id,
    }
    for name in ("anna", "bram", "cees"):
        emu.open_private_chat(ids[name])
    ids["group"] = emu.add_group("Buurt", admins=[ids["admin"]], members=[ids["member"]]).id
    await subscribed_before_the_change(
        config,
        {
            ids["anna"]: {"burglary"},
            ids["bram"]: {"burglary", "holidays", "valuables"},
            ids["cees"]: {"burglary", "holidays"},
            ids["group"]: {"burglary"},
        },
    )
    emu.deactivate_user(ids["cees"])
    # Started in quiet hours: the offers wait for 08:00, so the test sends them itself.
    harness = BotHarness(emu, config, clock=lambda: NIGHT)
    await harness.start()
    await emu.wait_sent(ids["group"], 1)  # the bot introduces itself in the group first
    try:
        yield harness, ids
    finally:
        await harness.stop()


async def test_offers_wait_for_the_end_of_quiet_hours(
    old_world: tuple[BotHarness, dict[str, int]],
) -> None:
    harness, _ids = old_world
    assert harness.app is not None and harness.app.job_queue is not None
    # The planner's wake-ups share this scheduler, so look the job up by its name there.
    scheduler = harness.app.job_queue.scheduler
    (job,) = [j for j in scheduler.get_jobs() if j.name == "topic-offers"]
    assert job.next_run_time == datetime(2027, 3, 3, 8, 0, tzinfo=TZ)


async def test_once_and_only_by_the_chat_or_its_admins(
    emu: BotApiEmulator, old_world: tuple[BotHarness, dict[str, int]]
) -> None:
    harness, ids = old_world
    services = harness.services
    assert harness.app is not None
    anna, group = ids["anna"], ids["group"]
    assert await send_topic_offers(services, harness.app.bot) == 2
    (offer,) = emu.sent(anna)
    assert "Holidays, Registering valuables (Stop Heling)" in offer.text
    intro, group_offer = emu.sent(group)
    assert group_offer.text.startswith("Nieuw in Buurtwacht")
    assert emu.sent(ids["bram"]) == []  # nothing to offer
    cees = await services.chats.get(ids["cees"])
    assert cees is not None and not cees.active
    assert await services.topic_offers.unsent() == []

    # Anna says yes: the topics are added, the message says so, a second press is outdated.
    assert await answer_text(emu, press(emu, anna, anna, offer.message_id, "Yes, add them")) == ""
    assert "you now also get" in emu.message(anna, offer.message_id).text
    chat = await services.chats.get(anna)
    assert chat is not None and chat.topics == {"burglary", "holidays", "valuables"}
    again = emu.press_button(anna, anna, offer.message_id, "offer:no")
    assert "outdated" in await answer_text(emu, again)
    chat = await services.chats.get(anna)
    assert chat is not None and chat.topics == {"burglary", "holidays", "valuables"}

    # In the group: a member is refused, a forged press on another message is outdated, the
    # admin's "no" changes nothing and closes the offer.
    member = emu.press(ids["member"], group, group_offer.message_id, "Ja, voeg ze toe")
    assert "Alleen de beheerders" in await answer_text(emu, member)
    forged = emu.press_button(ids["admin"], group, intro.message_id, "offer:yes")
    assert "verouderd" in await answer_text(emu, forged)
    # The group kept the alerts it always had (they became a topic later); nothing else changed.
    assert (await services.chats.get(group)).topics == {"burglary", "alerts"}  # type: ignore[union-attr]
    no = emu.press(ids["admin"], group, group_offer.message_id, "Nee, dank je")
    assert await answer_text(emu, no) == ""
    assert "er verandert niets" in emu.message(group, group_offer.message_id).text.lower()
    late_yes = emu.press_button(ids["admin"], group, group_offer.message_id, "offer:yes")
    assert "verouderd" in await answer_text(emu, late_yes)
    # The group kept the alerts it always had (they became a topic later); nothing else changed.
    assert (await services.chats.get(group)).topics == {"burglary", "alerts"}  # type: ignore[union-attr]

    # Never again, also not after a restart.
    await harness.restart()
    assert harness.app is not None
    assert await send_topic_offers(harness.services, harness.app.bot) == 0
    assert len(emu.sent(anna)) == 1


async def test_new_subscribers_get_no_offer(
    emu: BotApiEmulator, old_world: tuple[BotHarness, dict[str, int]]
) -> None:
    harness, _ids = old_world
    fleur = emu.add_user("Fleur", language_code="en").id
    await harness.services.chats.ensure(fleur, "private", "en")
    await harness.services.chats.subscribe(
        fleur, municipality="borne", neighbourhood=None, topics=frozenset({"burglary"}), locale="en"
    )
    assert fleur not in {o.chat_id for o in await harness.services.topic_offers.unsent()}
