"""The authorisation matrix: every privileged command and button, tried by people without the
right role, is refused, and every refusal is counted in the audit log with the person's id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import adviser, group, resident, say, stored_campaign
from tests.harness import BotHarness

NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)
ADMIN_COMMANDS = ["/invite adviser enschede", "/roles", "/revoke", "/audit"]
ADVISER_COMMANDS = [
    "/campaign",
    "/campagne",
    "/campaigns",
    "/calendar",
    "/kalender ics",
    "/alert",
    "/waarschuwing",
    "/stats",
    "/figures",
]
REFUSED = "Sorry, you are not allowed to do that."


async def test_everyone_without_the_role_is_refused_and_logged(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    campaign = await stored_campaign(
        bot, eva, {"enschede"}, NOW + timedelta(days=1), state="awaiting_approval"
    )
    entry = services.calendar.entries[0].id
    ref = f"0:20271021:{entry}"  # municipality index 0 = Enschede
    buttons = [
        f"rol:rv:{eva}:adviser",
        f"rol:ok:{eva}:adviser",
        "rol:no",
        f"cmp:x:{campaign.id}",
        f"cmp:xy:{campaign.id}",
        f"cmp:xn:{campaign.id}",
        f"cmp:ap:{campaign.id}",
        f"cmp:rj:{campaign.id}",
        f"cmp:rs:{campaign.id}",
        f"cmp:ed:{campaign.id}",
        "cal:m:0",
        "cal:p:0:202711",
        f"cal:o:{ref}",
        f"cal:s1:{ref}",
        f"cal:sa:{ref}",
        f"cal:d:{ref}",
        f"cal:r:{ref}",
    ]

    rita = await resident(emu, bot, "Rita", "enschede")
    group_admin = emu.add_user("Gea", language_code="en").id
    member = emu.add_user("Mo", language_code="en").id
    neighbourhood = await group(emu, bot, "Buren", group_admin, "enschede", members=[member])
    teammate = emu.add_user("Tom", language_code="en").id
    team = await group(emu, bot, "Team", group_admin, "enschede", members=[teammate])
    await services.teams.link(team, "enschede")
    await say(emu, teammate, "/help")  # a private chat with the bot
    hugo = await adviser(emu, bot, "Hugo", "hengelo")

    # (person, chat, commands): the adviser of Hengelo has adviser commands, not admin ones.
    actors = [
        (rita, rita, ADMIN_COMMANDS + ADVISER_COMMANDS),
        (member, neighbourhood, ADMIN_COMMANDS + ADVISER_COMMANDS),
        (group_admin, neighbourhood, ADMIN_COMMANDS + ADVISER_COMMANDS),
        (teammate, teammate, ADMIN_COMMANDS + ADVISER_COMMANDS),
        (teammate, team, ADMIN_COMMANDS + ADVISER_COMMANDS),
        (hugo, hugo, ADMIN_COMMANDS),
    ]
    attempts: dict[int, int] = {}
    for user, chat, commands in actors:
        for command in commands:
            (reply,) = await say(emu, user, command, chat=chat)
            assert reply.text == REFUSED, (user, chat, command, reply.text)
            attempts[user] = attempts.get(user, 0) + 1
        for data in buttons:
            query = emu.press_button(user, chat, emu.last(chat).message_id, data)
            answer = await emu.wait_answer(query)
            assert answer.get("text") == REFUSED, (user, chat, data, answer)
            attempts[user] = attempts.get(user, 0) + 1

    await emu.wait_idle()
    refused = [e for e in await services.audit.latest(1000) if e.outcome == "refused"]
    # Every refusal is counted: a repeat or one over the user's daily rows adds to a count.
    per_actor = {uid: sum(e.count for e in refused if e.actor_id == uid) for uid in attempts}
    assert per_actor == attempts
    assert not [e for e in await services.audit.latest(1000) if e.outcome == "ok"]
    # Nothing changed: the campaign still waits, the role is still there, no overrides.
    unchanged = await services.campaigns.get(campaign.id)
    assert unchanged is not None and unchanged.state == "awaiting_approval"
    assert await services.roles.of(eva) == {"adviser": frozenset({"enschede"})}
    assert await services.outbox.overrides() == []
