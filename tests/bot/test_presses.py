"""Every press is checked: a confirmation or wizard button counts only for the person it was
sent to (or, for a group's subscription, for the group's administrators), on the message the
bot sent for that flow, in that chat; staff buttons need the role first. Anything else is
answered "outdated" and no message or row changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import SentMessage
from tests.advice.flow import make_team, press, say, submit
from tests.advisers.helpers import adviser, stored_campaign
from tests.harness import BotHarness

OUTDATED = "This button is outdated. Use /settings or /help to continue."
REFUSED = "Sorry, you are not allowed to do that."
NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)


def snapshot(message: SentMessage) -> tuple[str | None, object, int]:
    return message.text, message.reply_markup, message.edits


async def forge(emu: BotApiEmulator, user: int, chat: int, message_id: int, data: str) -> str:
    """A press with forged data; returns the text of the bot's answer."""
    answer = await emu.wait_answer(emu.press_button(user, chat, message_id, data))
    await emu.wait_idle()
    return str(answer.get("text"))


async def test_forged_confirmations_never_touch_a_team_message(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    group, lead, member = await make_team(emu, bot)
    rita = emu.add_user("Rita", language_code="en").id
    await submit(emu, rita)
    post = emu.last(group.id)
    before = snapshot(post)
    # The lead is an administrator of the group, the member is not: neither asked anything.
    for user in (member, lead):
        for data in ("forget:no", "forget:yes", "stop:no", "stop:yes"):
            assert await forge(emu, user, group.id, post.message_id, data) == OUTDATED
    assert snapshot(emu.message(group.id, post.message_id)) == before
    (request,) = await bot.services.advice.for_user(rita)
    assert request.status == "new" and request.name is not None


async def test_forgetme_counts_only_on_its_own_question(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    bob = emu.add_user("Bob", language_code="en").id
    await submit(emu, anna)
    question = await say(emu, anna, anna, "/forgetme")
    await say(emu, bob, bob, "/help")
    # The same message id in another chat, and Anna's own other message: not the question.
    assert await forge(emu, bob, bob, question.message_id, "forget:yes") == OUTDATED
    older = emu.sent(anna)[-2]
    assert await forge(emu, anna, anna, older.message_id, "forget:yes") == OUTDATED
    assert (await bot.services.advice.for_user(anna))[0].name is not None
    assert snapshot(emu.message(anna, older.message_id))[2] == 0

    await press(emu, anna, anna, "Yes, delete my data", question)
    assert await bot.services.advice.for_user(anna) == []
    # A replay of the spent question does nothing more.
    assert await forge(emu, anna, anna, question.message_id, "forget:no") == OUTDATED


async def test_group_stop_is_confirmed_by_the_admin_who_asked(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    asker = emu.add_user("Karin", language_code="en").id
    other_admin = emu.add_user("Kees", language_code="en").id
    member = emu.add_user("Lars", language_code="en").id
    group = emu.add_group("Buurt", admins=[asker, other_admin], members=[member]).id
    await emu.wait_idle()
    await bot.services.chats.ensure(group, "group", "en")
    await bot.services.chats.subscribe(
        group, municipality="borne", neighbourhood=None, topics=frozenset({"burglary"}), locale="en"
    )
    question = await say(emu, asker, group, "/stop")
    assert "Do you want to stop?" in question.text
    for user in (other_admin, member):
        assert await forge(emu, user, group, question.message_id, "stop:yes") == OUTDATED
    assert (await bot.services.chats.get(group)).subscribed  # type: ignore[union-attr]
    assert snapshot(emu.message(group, question.message_id))[2] == 0

    await press(emu, asker, group, "Yes, stop", question)
    assert not (await bot.services.chats.get(group)).subscribed  # type: ignore[union-attr]
    assert "unsubscribed" in emu.message(group, question.message_id).text


async def test_group_wizard_is_the_groups_but_only_on_its_own_message(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    first = emu.add_user("Mila", language_code="en").id
    second = emu.add_user("Mees", language_code="en").id
    group = emu.add_group("Noord", admins=[first, second]).id
    intro = (await emu.wait_sent(group, 1))[0]
    wizard = await say(emu, first, group, "/subscribe")
    almelo = next(data for text, data in wizard.flat_buttons() if text == "Almelo")
    assert almelo is not None
    nonce = almelo.split(":")[1]
    # The right nonce on another bot message in the group: refused, the message untouched.
    for data in (almelo, f"sub:{nonce}:menu:done", f"sub:{nonce}:topics_done"):
        assert await forge(emu, second, group, intro.message_id, data) == OUTDATED
    assert snapshot(emu.message(group, intro.message_id))[2] == 0
    # A step the wizard is not at (a double tap, or a forged press) does not count either.
    assert await forge(emu, first, group, wizard.message_id, f"sub:{nonce}:topics_done") == OUTDATED
    # Any administrator may continue the group's wizard, on its message.
    await press(emu, second, group, "Almelo", wizard)
    assert "Which messages would you like?" in emu.message(group, wizard.message_id).text
    assert await forge(emu, first, group, wizard.message_id, almelo) == OUTDATED
    await press(emu, first, group, "Confirm", emu.message(group, wizard.message_id))
    assert (await bot.services.chats.get(group)).municipality == "almelo"  # type: ignore[union-attr]


async def test_staff_presses_need_the_role_then_their_own_message(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    campaign = await stored_campaign(
        bot, eva, {"enschede"}, NOW + timedelta(days=1), state="awaiting_approval"
    )
    rita = emu.add_user("Rita", language_code="en").id
    await say(emu, rita, rita, "/help")
    entry = services.calendar.entries[0].id
    staff_data = [
        f"cmp:x:{campaign.id}",
        f"cmp:xy:{campaign.id}",
        f"cmp:rs:{campaign.id}",
        f"cal:s1:0:20271021:{entry}",
        "alr:send",
        "alr:m:0",
        f"rol:ok:{eva}:adviser",
    ]
    # Without the role the answer is a refusal, audit-logged, whatever the data.
    for data in [*staff_data, "alr:garbage", "rol:"]:
        assert await forge(emu, rita, rita, emu.last(rita).message_id, data) == REFUSED
    refused = [e for e in await services.audit.latest(100) if e.outcome == "refused"]
    assert len(refused) == len(staff_data) + 2 and {e.actor_id for e in refused} == {rita}

    # With the role, a press on a message that is not the list or calendar the bot sent
    # this adviser is outdated; nothing changes.
    help_reply = emu.last(eva)
    for data in staff_data[:4]:
        assert await forge(emu, eva, eva, help_reply.message_id, data) == OUTDATED
    assert (await services.campaigns.get(campaign.id)).state == "awaiting_approval"  # type: ignore[union-attr]
    assert await services.outbox.overrides() == []

    # On her own /campaigns list the same press counts.
    listing = await say(emu, eva, eva, "/campaigns")
    answer = await forge(emu, eva, eva, listing.message_id, f"cmp:xy:{campaign.id}")
    assert "is cancelled" in answer
    assert (await services.campaigns.get(campaign.id)).state == "cancelled"  # type: ignore[union-attr]


async def test_revoke_counts_only_on_the_admins_question(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    eva = await adviser(emu, bot, "Eva", "enschede")
    boss = emu.add_user("Bea", language_code="en").id
    await say(emu, boss, boss, "/help")
    await services.roles.grant(boss, "admin", ["*"], label="Bea")
    question = await say(emu, boss, boss, "/revoke")
    older = emu.sent(boss)[-2]
    for data in (f"rol:ok:{eva}:adviser", f"rol:rv:{eva}:adviser", "rol:no"):
        assert await forge(emu, boss, boss, older.message_id, data) == OUTDATED
    # Malformed data from an admin, on the question itself: answered, nothing raised.
    for data in ("rol:rv", "rol:ok:abc:adviser", f"rol:ok:{eva}", f"rol:ok:{eva}:king", ""):
        assert await forge(emu, boss, boss, question.message_id, data) == OUTDATED
    assert await services.roles.of(eva) == {"adviser": frozenset({"enschede"})}
    await forge(emu, boss, boss, question.message_id, f"rol:rv:{eva}:adviser")
    await forge(emu, boss, boss, question.message_id, f"rol:ok:{eva}:adviser")
    assert await services.roles.of(eva) == {}
