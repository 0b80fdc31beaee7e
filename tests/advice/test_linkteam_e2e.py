"""Linking a prevention team: only a group's administrator may, replacing a team needs that
administrator's confirmation, open requests move to the new team, the old team is told, and
/teamcode and /linkteam are in the audit log."""

from __future__ import annotations

from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import NAME, labels, make_team, press, say, submit
from tests.harness import BotHarness

OUTDATED = "This button is outdated. Use /settings or /help to continue."


async def code_for(emu: BotApiEmulator, admin: int, municipality: str) -> str:
    reply = await say(emu, admin, admin, f"/teamcode {municipality}")
    return reply.text.split("/linkteam ")[1].split()[0]


async def test_only_a_group_administrator_links(
    emu: BotApiEmulator, admin_bot: tuple[BotHarness, int]
) -> None:
    bot, admin = admin_bot
    lead = emu.add_user("Tess", language_code="en").id
    member = emu.add_user("Piet", language_code="en").id
    team = emu.add_group("Team Hengelo", admins=[lead], members=[member])
    await emu.wait_idle()
    code = await code_for(emu, admin, "hengelo")
    refusal = await say(emu, member, team.id, f"/linkteam {code}")
    assert "Only an administrator of this group" in refusal.text
    assert await bot.services.teams.team_of("hengelo") is None
    # The refusal did not use the code up.
    linked = await say(emu, lead, team.id, f"/koppelteam {code}")
    assert any("now the prevention team of" in m.text for m in emu.sent(team.id) if m.text)
    assert linked.text is not None
    assert await bot.services.teams.team_of("hengelo") == team.id

    audit = [(e.actor_id, e.action, e.outcome) for e in await bot.services.audit.latest()]
    assert (admin, "team.code", "ok") in audit
    assert (member, "team.link", "refused") in audit
    assert (lead, "team.link", "ok") in audit


async def test_replacing_a_team_is_confirmed_and_moves_its_requests(
    emu: BotApiEmulator, admin_bot: tuple[BotHarness, int]
) -> None:
    bot, admin = admin_bot
    old_team, _old_lead, old_member = await make_team(emu, bot)
    anna = emu.add_user("Anna", language_code="en").id
    bert = emu.add_user("Bert", language_code="en").id
    claimed_ref = await submit(emu, anna)
    claimed_post = emu.last(old_team.id)
    await press(emu, old_member, old_team.id, "Claim", claimed_post)
    new_ref = await submit(emu, bert, postcode="7512 AB")
    new_post = emu.last(old_team.id)

    boss = emu.add_user("Noor", language_code="en").id
    co_admin = emu.add_user("Niels", language_code="en").id
    helper = emu.add_user("Nina", language_code="en").id
    group = emu.add_group("Nieuw team", admins=[boss, co_admin], members=[helper])
    await emu.wait_idle()
    await bot.services.chats.set_locale(group.id, "en")
    code = await code_for(emu, admin, "enschede")
    question = await say(emu, boss, group.id, f"/linkteam {code}")
    assert "already has a prevention team" in question.text
    assert labels(question) == ["Yes, replace", "No, keep it"]
    # Only the administrator who asked, on that question.
    for user in (co_admin, helper):
        answer = await emu.wait_answer(
            emu.press_button(user, group.id, question.message_id, "link:yes")
        )
        assert answer.get("text") == OUTDATED
    await press(emu, boss, group.id, "No, keep it", question)
    assert await bot.services.teams.team_of("enschede") == old_team.id

    question = await say(emu, boss, group.id, f"/linkteam {code}")
    before = len(emu.sent(group.id))
    await press(emu, boss, group.id, "Yes, replace", question)
    assert await bot.services.teams.team_of("enschede") == group.id

    # Both open requests are posted in the new group, with their buttons; the claim stays
    # a claim, but the old team's member is not named there.
    posted = [m for m in emu.sent(group.id)[before:] if m.text and "Prevention advice" in m.text]
    assert [m.text.split()[2] for m in posted] == [claimed_ref, new_ref]
    assert "Claimed on" in posted[0].text and "Piet" not in posted[0].text
    assert labels(posted[0]) == ["Plan appointment", "Message resident", "Done", "Not possible"]
    # The old group keeps neither the residents' details nor buttons, and is told.
    for post in (claimed_post, new_post):
        old = emu.message(old_team.id, post.message_id)
        assert "Moved to the new prevention team" in old.text
        assert NAME not in old.text and old.flat_buttons() == []
    assert "no longer the prevention team of Enschede" in emu.last(old_team.id).text
    assert "2 open requests moved there" in emu.last(old_team.id).text
    # The new team can work with them; the old one cannot.
    answer = await emu.wait_answer(
        emu.press_button(old_member, old_team.id, claimed_post.message_id, "team:1:done")
    )
    assert answer.get("show_alert") is True
    await press(emu, helper, group.id, "Plan appointment", posted[0])
    assert "reply to this message" in emu.last(group.id).text

    (link,) = [e for e in await bot.services.audit.latest() if e.action == "team.link"]
    assert link.actor_id == boss and link.detail == f"replaced chat_id={old_team.id}"


async def test_an_anonymous_admin_can_replace_a_team(
    emu: BotApiEmulator, admin_bot: tuple[BotHarness, int]
) -> None:
    """The command comes from Telegram's shared anonymous-admin account, the press from the
    admin's own: any administrator of the group may confirm, a member may not."""
    bot, admin = admin_bot
    old_team, _lead, _member = await make_team(emu, bot)
    boss = emu.add_user("Noor", language_code="en").id
    helper = emu.add_user("Nina", language_code="en").id
    group = emu.add_group("Nieuw team", admins=[boss], members=[helper])
    await emu.wait_idle()
    await bot.services.chats.set_locale(group.id, "en")
    code = await code_for(emu, admin, "enschede")
    before = len(emu.sent(group.id))
    emu.send_anonymous(group.id, f"/linkteam {code}")
    question = (await emu.wait_sent(group.id, before + 1))[-1]
    assert "already has a prevention team" in (question.text or "")
    refused = await emu.wait_answer(
        emu.press(helper, group.id, question.message_id, "Yes, replace")
    )
    assert "Only an administrator of this group" in str(refused["text"])
    assert await bot.services.teams.team_of("enschede") == old_team.id
    await emu.wait_answer(emu.press(boss, group.id, question.message_id, "Yes, replace"))
    await emu.wait_idle()
    assert await bot.services.teams.team_of("enschede") == group.id
