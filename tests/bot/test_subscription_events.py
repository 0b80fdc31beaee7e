"""Anonymous subscription history: the net change per municipality in subscribers()."""

from __future__ import annotations

from datetime import timedelta

from bot.advisers.stats import Subscribers, subscribers
from bot.storage import Database
from bot.storage.chats import ChatStore
from bot.storage.database import to_db_time, utcnow
from bot.storage.outbox import OutboxStore
from scheduler.delivery import Outcome

TOPICS = frozenset({"burglary"})


async def subscribe(chats: ChatStore, chat_id: int, municipality: str) -> None:
    await chats.subscribe(
        chat_id, municipality=municipality, neighbourhood=None, topics=TOPICS, locale="nl"
    )


async def backdate_all(db: Database, days: int) -> None:
    await db.execute(
        "UPDATE subscription_events SET at = ?", (to_db_time(utcnow() - timedelta(days=days)),)
    )


async def test_net_change_per_municipality(db: Database) -> None:
    chats = ChatStore(db)
    for chat_id, kind in ((1, "private"), (2, "private"), (3, "group"), (4, "private")):
        await chats.ensure(chat_id, kind, "nl")
    # Chat 4 subscribed long ago, outside the window.
    await subscribe(chats, 4, "enschede")
    await backdate_all(db, 40)

    for chat_id in (1, 2, 3):
        await subscribe(chats, chat_id, "enschede")
    await chats.unsubscribe(1)
    await chats.set_active(2, False)  # blocked the bot ...
    await chats.set_active(2, False)  # ... reported twice: still one event
    await chats.ensure(2, "private", "nl")  # ... and back: ensure reactivates
    await subscribe(chats, 3, "hengelo")  # the group moves
    await subscribe(chats, 3, "hengelo")  # changing only topics again is no event
    await chats.delete(4)
    await chats.unsubscribe(1)  # not subscribed any more: no event

    since = utcnow() - timedelta(days=30)
    result = await subscribers(db, ["enschede", "hengelo", "borne"], since)
    assert result == {
        # Now: chat 2. In the window: +3 subscribed, -1 unsubscribed, -1 +1 blocked and back,
        # -1 moved away, -1 deleted (subscribed before the window).
        "enschede": Subscribers("enschede", private=1, groups=0, change=0),
        "hengelo": Subscribers("hengelo", private=0, groups=1, change=1),
        "borne": Subscribers("borne", private=0, groups=0, change=0),
    }
    assert await db.fetchval("SELECT SUM(delta) FROM subscription_events") == 2

    # The same changes, all before the window, count for nothing.
    await backdate_all(db, 31)
    result = await subscribers(db, ["enschede", "hengelo"], since)
    assert [s.change for s in result.values()] == [0, 0]
    # A window [60, 30) days ago holds all of Enschede's history now: net +1, its one subscriber.
    result = await subscribers(db, ["enschede"], since - timedelta(days=30), since)
    assert result["enschede"].change == 1


async def test_outbox_writers_record_events(db: Database) -> None:
    chats, outbox = ChatStore(db), OutboxStore(db)
    for chat_id in (10, 11, 12, 13):
        await chats.ensure(chat_id, "group", "nl")
        await subscribe(chats, chat_id, "borne")
    # A send found the bot removed (the outcome's delivery row does not matter here).
    await outbox.record([Outcome(0, 10, "failed", "Forbidden", deactivate=True)], utcnow())
    await outbox.move_chat(11, 99)  # supergroup upgrade, new id unknown: only the id changes
    await chats.migrate(12, 98)  # the same through the chat store
    await outbox.move_chat(13, 98)  # new id known already: the old chat is deactivated

    result = await subscribers(db, ["borne"], utcnow() - timedelta(days=30))
    assert result["borne"] == Subscribers("borne", private=0, groups=2, change=2)
    rows = await db.fetchall("SELECT delta FROM subscription_events ORDER BY id")
    assert [r["delta"] for r in rows] == [1, 1, 1, 1, -1, -1]


async def test_events_hold_no_chat_or_user_id(db: Database) -> None:
    rows = await db.fetchall("PRAGMA table_info(subscription_events)")
    assert [r["name"] for r in rows] == ["id", "municipality", "kind", "delta", "at"]
