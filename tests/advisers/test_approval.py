"""Four-eyes approval cannot deadlock: nobody who could approve means no campaign saved; nobody
reachable is said at once; an approved campaign says when it goes out; a new text is approved
again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import adviser, campaign_text, labels, press, resident, say
from tests.harness import BotHarness, make_config

NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam


@pytest.fixture
async def four_eyes(emu: BotApiEmulator, admin: int, tmp_path: Path) -> AsyncIterator[BotHarness]:
    config = make_config(
        tmp_path, admins={"user_ids": [admin]}, campaigns={"require_approval": True}
    )
    harness = BotHarness(emu, config)
    await harness.start()
    harness.services.now = lambda: NOW
    try:
        yield harness
    finally:
        await harness.stop()


async def _write(emu: BotApiEmulator, user: int, text: str, moment: str | None) -> str:
    """A campaign in English for everyone, the preselected or a chosen audience; the summary."""
    await campaign_text(emu, user, text)
    if "Municipalities: –" in (emu.last(user).text or ""):
        await press(emu, user, "⬜ Almelo")
    await press(emu, user, "Next", replies=1)
    if moment is None:
        await press(emu, user, "Now", replies=2)
    else:
        await say(emu, user, moment, replies=2)
    return emu.last(user).text or ""


async def test_nobody_can_approve_so_nothing_is_saved(
    emu: BotApiEmulator, four_eyes: BotHarness, admin: int
) -> None:
    # The only admin writes for Almelo; no adviser of Almelo exists.
    summary = await _write(emu, admin, "Lock up", "tomorrow 19:00")
    assert "nobody else can approve it" in summary
    await press(emu, admin, "Confirm", replies=1)
    assert "I have not saved it: nobody else can approve a campaign for Almelo" in (
        emu.last(admin).text or ""
    )
    assert await four_eyes.services.campaigns.recent() == []
    # The preview still works: the admin can cancel (or change the audience).
    preview = [m for m in emu.sent(admin) if "Confirm" in labels(m)][-1]
    await press(emu, admin, "Cancel", message_id=preview.message_id, replies=1)
    assert "Cancelled" in (emu.last(admin).text or "")


async def test_approvers_not_reachable_is_said_and_approval_says_when(
    emu: BotApiEmulator, four_eyes: BotHarness, admin: int
) -> None:
    services = four_eyes.services
    rita = await resident(emu, four_eyes, "Rita", "enschede")
    eva = await adviser(emu, four_eyes, "Eva", "enschede")
    summary = await _write(emu, eva, "Lock up now", None)
    assert "It needs approval: 1 person can approve it." in summary
    await press(emu, eva, "Confirm", replies=1)
    # The admin never wrote to the bot: the bot cannot ask them, and says so at once.
    assert "I could not ask anyone" in (emu.last(eva).text or "")
    (campaign,) = await services.campaigns.recent()
    assert campaign.state == "awaiting_approval"

    (listing,) = await say(emu, admin, "/campaigns")
    eva_before = len(emu.sent(eva))
    answer = await press(emu, admin, f"Approve #{campaign.id}")
    assert answer["text"] == f"Campaign #{campaign.id} is approved. It goes out now."
    told = (await emu.wait_sent(eva, eva_before + 1))[-1]
    assert told.text == f"Your campaign #{campaign.id} was approved. It goes out now."
    assert (await emu.wait_sent(rita, 2))[-1].text == "Lock up now"

    # A scheduled one: the admin (now known) is asked and sees when it would go out.
    admin_before = len(emu.sent(admin))
    await _write(emu, eva, "Dark evenings ahead", "tomorrow 19:00")
    await press(emu, eva, "Confirm", replies=1)
    assert "I asked 1 person" in (emu.last(eva).text or "")
    request = (await emu.wait_sent(admin, admin_before + 2))[-1]
    assert "It goes out on 21 October 2027 19:00" in (request.text or "")
    eva_before = len(emu.sent(eva))
    await press(emu, admin, "Approve")
    told = (await emu.wait_sent(eva, eva_before + 1))[-1]
    assert "It goes out on 21 October 2027 19:00" in (told.text or "")
    second = (await services.campaigns.recent())[-1]
    assert second.state == "scheduled"

    # A new text after approval needs approval again, and the broadcast waits meanwhile.
    (listing,) = await say(emu, eva, "/campaigns")
    await press(emu, eva, f"Edit text #{second.id}", message_id=listing.message_id, replies=1)
    await say(emu, eva, "Dark evenings: lock the shed too")
    await press(emu, eva, "English", replies=1)
    await press(emu, eva, "Send them the English text", replies=2)
    admin_before = len(emu.sent(admin))
    await press(emu, eva, "Save the new text", replies=1)
    assert "waits for approval" in (emu.last(eva).text or "")
    edited = await services.campaigns.get(second.id)
    assert edited is not None and edited.state == "awaiting_approval"
    assert (await services.outbox.get_broadcast(second.key) or ("",))[0] == "skipped"
    preview, request = (await emu.wait_sent(admin, admin_before + 2))[-2:]
    assert preview.text == "Dark evenings: lock the shed too"
    eva_before = len(emu.sent(eva))
    await press(emu, admin, "Approve")
    await emu.wait_sent(eva, eva_before + 1)
    assert (await services.outbox.get_broadcast(second.key) or ("",))[0] == "planned"
    services.now = lambda: datetime(2027, 10, 21, 17, 0, tzinfo=UTC)
    await services.planner.run_due()
    assert (await emu.wait_sent(rita, 3))[-1].text == "Dark evenings: lock the shed too"
