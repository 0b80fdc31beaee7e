"""Which buttons a broadcast gets, per deployment and topic, for coordinators and others; and
that they travel with the broadcast's stored content."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.feedback.buttons import Buttons, share_data, vote_data
from bot.i18n import Catalogues
from bot.storage import Database
from bot.storage.feedback import FeedbackStore
from bot.storage.outbox import content_from_json, content_to_json
from messages.loader import load_calendar
from scheduler.delivery import Content
from tests.harness import make_config

TIP = "dark-days-tip-lock-with-key"  # topic burglary
BIKES = "valuables-student-bikes"  # topic valuables
KEY = f"{TIP}:2027-11-02:enschede"


def buttons(tmp_path: Path, db: Database, **sections: dict[str, Any]) -> Buttons:
    config = make_config(tmp_path, **sections)
    i18n = Catalogues(config.locale.available, config.locale.default, config.locale.tz)
    return Buttons(config, i18n, FeedbackStore(db), load_calendar())


def labels(content: Content, locale: str, coordinator: bool) -> list[list[str]]:
    return [[b.text for b in row] for row in content.keyboard(locale, coordinator)]


CONTENT = Content({"nl": "<b>Tip</b>", "en": "<b>Tip</b>"})


async def test_by_default_everyone_gets_votes_and_the_share_button(
    tmp_path: Path, db: Database
) -> None:
    content = await buttons(tmp_path, db).add("calendar", KEY, TIP, CONTENT)
    for coordinator in (False, True):
        assert labels(content, "nl", coordinator) == [
            ["👍 Nuttig", "👎 Niet nuttig"],
            ["📲 Delen in je WhatsApp-groep…"],
        ]
    assert labels(content, "en", False)[0] == ["👍 Useful", "👎 Not useful"]
    datas = [b.data for row in content.keyboard("en") for b in row]
    assert datas == [vote_data(KEY, True), vote_data(KEY, False), share_data(KEY)]
    assert all(len(d.encode()) <= 64 for d in datas)  # Telegram's callback data limit


async def test_a_topic_off_for_sharing_keeps_the_button_for_coordinators(
    tmp_path: Path, db: Database
) -> None:
    made = buttons(tmp_path, db, sharing={"topics": ["valuables"]})
    tip = await made.add("calendar", KEY, TIP, CONTENT)
    assert labels(tip, "en", False) == [["👍 Useful", "👎 Not useful"]]
    assert labels(tip, "en", True)[1] == ["📲 Share in your WhatsApp group…"]
    bikes = await made.add("calendar", f"{BIKES}:2027-09-06:enschede", BIKES, CONTENT)
    assert labels(bikes, "en", False)[1] == ["📲 Share in your WhatsApp group…"]


async def test_campaigns_alerts_and_the_deployment_switches(tmp_path: Path, db: Database) -> None:
    made = buttons(tmp_path, db, sharing={"campaigns": False})
    campaign = await made.add("campaign", "campaign:7", "7", CONTENT)
    assert labels(campaign, "en", False) == [["👍 Useful", "👎 Not useful"]]
    assert len(labels(campaign, "en", True)) == 2
    alert = await made.add("alert", "alert:3:group", "3", CONTENT)
    assert labels(alert, "en", False) == [["📲 Share in your WhatsApp group…"]]  # no votes
    follow_up = await made.add("alert-follow-up", "alert:3:follow-up:group", "3", CONTENT)
    assert follow_up.buttons == {}

    nothing = buttons(tmp_path, db, sharing={"enabled": False}, feedback={"enabled": False})
    for source, ref in (("calendar", TIP), ("campaign", "7"), ("alert", "3")):
        content = await nothing.add(source, f"{source}:x", ref, CONTENT)
        assert content.keyboard("en", coordinator=True) == ()


async def test_an_entry_switched_off_has_no_buttons_at_all(tmp_path: Path, db: Database) -> None:
    made = buttons(tmp_path, db)
    store = made.store
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert await store.set_buttons(TIP, False, 1, now)
    assert not await store.set_buttons(TIP, False, 1, now)  # already off
    content = await made.add("calendar", KEY, TIP, CONTENT)
    assert content.keyboard("en", coordinator=True) == ()
    assert await store.set_buttons(TIP, True, 1, now)
    assert (await made.add("calendar", KEY, TIP, CONTENT)).keyboard("en") != ()


async def test_the_buttons_are_stored_with_the_content(tmp_path: Path, db: Database) -> None:
    made = buttons(tmp_path, db, sharing={"topics": []})
    content = await made.add("calendar", KEY, TIP, CONTENT)
    again = content_from_json(content_to_json(content))
    assert again == content
    assert again.keyboard("en", True) != again.keyboard("en", False)
    assert again.keyboard("fy") == again.keyboard("nl")  # unknown locale: the Dutch buttons
    # Content written before buttons existed reads back without any.
    assert content_from_json('{"texts": {"nl": "x"}, "image": null}').keyboard("nl") == ()
