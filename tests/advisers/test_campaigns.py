"""The campaign wizard end to end: preview equals the delivered message, a schedule across the
end of summer time, four-eyes approval (never by the author), cancel and reschedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import adviser, labels, press, resident, say
from tests.harness import BotHarness, make_config

# A Wednesday in October 2027; summer time ends on Sunday 31 October 2027.
NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)


async def _write_campaign(emu: BotApiEmulator, user: int, moment: str) -> None:
    """Text with bold, in English for everyone, the default audience, a typed moment."""
    (prompt,) = await say(emu, user, "/campaign")
    assert "New campaign" in (prompt.text or "")
    before = len(emu.sent(user))
    emu.send_custom(
        user,
        user,
        {
            "text": "Lock up tonight: dark evenings ahead",
            "entities": [{"type": "bold", "offset": 0, "length": 7}],
        },
    )
    await emu.wait_sent(user, before + 1)
    await press(emu, user, "English", replies=1)
    await press(emu, user, "Send them the English text", replies=1)
    assert "This campaign will reach" in (emu.last(user).text or "")
    await press(emu, user, "Next", replies=1)
    assert "When should it go out?" in (emu.last(user).text or "")
    await say(emu, user, moment, replies=2)


async def test_campaign_wizard_preview_is_the_delivered_message(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    anna = await resident(emu, bot, "Anna", "enschede")
    bert = await resident(emu, bot, "Bert", "enschede", neighbourhood="Oost")
    hans = await resident(emu, bot, "Hans", "hengelo")
    eva = await adviser(emu, bot, "Eva", "enschede")

    await _write_campaign(emu, eva, "02-11-2027 19:00")
    preview, summary = emu.sent(eva)[-2:]
    assert preview.html == "<b>Lock up</b> tonight: dark evenings ahead"
    assert "2 chats" in (summary.text or "") and "2 November 2027 19:00" in (summary.text or "")
    assert labels(summary) == ["Confirm", "Change", "Test send", "Cancel"]

    # Test send: to the adviser only, once for the one text.
    answer = await press(emu, eva, "Test send", replies=1)
    assert answer["text"] == "Sent to you only."
    assert emu.last(eva).html == preview.html
    await press(emu, eva, "Confirm", message_id=summary.message_id, replies=1)
    assert "goes out on 2 November 2027 19:00" in (emu.last(eva).text or "")

    (campaign,) = await services.campaigns.recent()
    # 19:00 in Amsterdam after summer time ended is 18:00 UTC (it was 17:00 UTC before).
    assert campaign.due_at == datetime(2027, 11, 2, 18, 0, tzinfo=UTC)
    assert await services.outbox.get_broadcast(campaign.key) == ("planned", None)

    services.now = lambda: datetime(2027, 11, 2, 18, 0, tzinfo=UTC)  # exactly due
    await services.planner.run_due()
    for user in (anna, bert):
        delivered = (await emu.wait_sent(user, 2))[-1]
        assert delivered.html == preview.html and delivered.parse_mode == "HTML"
    await services.engine.drain()  # every send marked in the outbox
    assert len(emu.sent(hans)) == 1  # only the reply to /start
    assert (await services.outbox.counts(campaign.key)) == {"sent": 2}

    (listing,) = await say(emu, eva, "/campaigns")
    assert "sent" in (listing.text or "") and "sent 2 · failed 0" in (listing.text or "")


async def test_cancel_and_reschedule(emu: BotApiEmulator, bot: BotHarness) -> None:
    services = bot.services
    services.now = lambda: NOW
    anna = await resident(emu, bot, "Anna", "enschede")
    eva = await adviser(emu, bot, "Eva", "enschede")
    for _ in range(2):
        await _write_campaign(emu, eva, "tomorrow 19:00")
        await press(emu, eva, "Confirm", replies=1)
    first, second = await services.campaigns.recent()

    (listing,) = await say(emu, eva, "/campaigns")
    assert f"Cancel #{first.id}" in labels(listing)
    # One tap asks; "No, keep it" changes nothing, "Yes" cancels.
    await press(emu, eva, f"Cancel #{first.id}")
    question = emu.message(eva, listing.message_id)
    assert f"Cancel campaign #{first.id}" in (question.text or "")
    assert labels(question) == [f"Yes, cancel #{first.id}", "No, keep it"]
    await press(emu, eva, "No, keep it")
    assert (await services.outbox.get_broadcast(first.key) or ("",))[0] == "planned"
    assert f"Cancel #{first.id}" in labels(emu.message(eva, listing.message_id))
    await press(emu, eva, f"Cancel #{first.id}")
    answer = await press(emu, eva, f"Yes, cancel #{first.id}")
    assert "cancelled" in str(answer.get("text"))
    assert (await services.outbox.get_broadcast(first.key) or ("",))[0] == "skipped"
    assert f"Cancel #{first.id}" not in labels(emu.message(eva, listing.message_id))

    await press(emu, eva, f"Reschedule #{second.id}", replies=1)
    (reply,) = await say(emu, eva, "yesterday 19:00")
    assert "don't understand" in (reply.text or "")
    (reply,) = await say(emu, eva, "20-10-2029 19:00")
    assert "more than a year" in (reply.text or "")
    (reply,) = await say(emu, eva, "23-10-2027 20:30")
    assert "now goes out at 23 October 2027 20:30" in (reply.text or "")
    rescheduled = await services.campaigns.get(second.id)
    assert rescheduled is not None
    assert rescheduled.due_at == datetime(2027, 10, 23, 18, 30, tzinfo=UTC)

    # Tomorrow 19:00 passes: the cancelled one never goes out, the moved one not yet.
    services.now = lambda: NOW + timedelta(days=1, hours=8)
    await services.planner.run_due()
    await emu.wait_idle()
    assert len(emu.sent(anna)) == 1


async def test_cancelled_by_a_colleague_is_not_called_gone_out(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """Piet's older /campaigns list still offered Cancel after Eva cancelled the campaign; his
    press said "has already gone out", which it never did."""
    bot.services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    piet = await adviser(emu, bot, "Piet", "enschede")
    await _write_campaign(emu, eva, "tomorrow 19:00")
    await press(emu, eva, "Confirm", replies=1)
    (campaign,) = await bot.services.campaigns.recent()
    (old_list,) = await say(emu, piet, "/campaigns")
    await say(emu, eva, "/campaigns")
    await press(emu, eva, f"Cancel #{campaign.id}")
    await press(emu, eva, f"Yes, cancel #{campaign.id}")
    answer = await press(emu, piet, f"Cancel #{campaign.id}", message_id=old_list.message_id)
    assert answer["text"] == f"Campaign #{campaign.id} was already cancelled."
    await emu.wait_idle()  # then the list is shown as it is now
    assert f"Cancel #{campaign.id}" not in labels(emu.message(piet, old_list.message_id))
    entries = [e for e in await bot.services.audit.latest() if e.action == "campaign.cancel"]
    assert [e.actor_id for e in entries] == [eva]


async def test_four_eyes_approval_never_by_the_author(
    emu: BotApiEmulator, admin: int, tmp_path: Path
) -> None:
    config = make_config(
        tmp_path, admins={"user_ids": [admin]}, campaigns={"require_approval": True}
    )
    bot = BotHarness(emu, config)
    await bot.start()
    try:
        bot.services.now = lambda: NOW
        await say(emu, admin, "/start")  # the admin has a chat with the bot
        eva = await adviser(emu, bot, "Eva", "enschede")
        hengelo = await adviser(emu, bot, "Hugo", "hengelo")
        await _write_campaign(emu, eva, "tomorrow 19:00")
        admin_before = len(emu.sent(admin))
        await press(emu, eva, "Confirm", replies=1)
        assert "waits for approval" in (emu.last(eva).text or "")
        (campaign,) = await bot.services.campaigns.recent()
        assert campaign.state == "awaiting_approval"
        assert await bot.services.outbox.get_broadcast(campaign.key) is None

        # The author cannot approve (a forged button); nor can an adviser of Hengelo.
        answer = await emu.wait_answer(
            emu.press_button(eva, eva, emu.last(eva).message_id, f"cmp:ap:{campaign.id}")
        )
        assert "outdated" in str(answer["text"])  # not on a list or approval request
        (listing,) = await say(emu, eva, "/campaigns")
        assert f"Approve #{campaign.id}" not in labels(listing)
        answer = await emu.wait_answer(
            emu.press_button(eva, eva, listing.message_id, f"cmp:ap:{campaign.id}")
        )
        assert "your own campaign" in str(answer["text"])
        answer = await emu.wait_answer(
            emu.press_button(
                hengelo, hengelo, emu.last(hengelo).message_id, f"cmp:ap:{campaign.id}"
            )
        )
        assert "not allowed" in str(answer["text"])
        refused = [e for e in await bot.services.audit.latest() if e.outcome == "refused"]
        assert {e.actor_id for e in refused} == {eva, hengelo}

        # The admin got the preview and the question, and approves.
        request = (await emu.wait_sent(admin, admin_before + 2))[-1]
        assert "waits for your approval" in (request.text or "")
        eva_before = len(emu.sent(eva))
        await press(emu, admin, "Approve")
        # The request no longer says it waits: it says what became of it, without buttons.
        decided = emu.message(admin, request.message_id)
        assert (decided.text or "").startswith(f"✅ Campaign #{campaign.id} is approved.")
        assert decided.buttons() == []
        assert "was approved" in ((await emu.wait_sent(eva, eva_before + 1))[-1].text or "")
        approved = await bot.services.campaigns.get(campaign.id)
        assert approved is not None and approved.state == "scheduled"
        assert approved.approved_by == admin
        assert (await bot.services.outbox.get_broadcast(campaign.key) or ("",))[0] == "planned"
    finally:
        await bot.stop()
