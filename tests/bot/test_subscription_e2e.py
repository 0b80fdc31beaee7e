"""Residents and groups subscribing, end to end: real Application <-> HTTP <-> emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.subscription import WIZARD_KEY
from bot.teamwork import run_daily
from tests.harness import BotHarness


async def say(emu: BotApiEmulator, user: int, chat: int, text: str) -> str:
    """Send `text` and return the text of the bot's next message in that chat."""
    before = len(emu.sent(chat))
    emu.send_text(user, chat, text)
    sent = await emu.wait_sent(chat, before + 1)
    return sent[before].text


async def press(emu: BotApiEmulator, user: int, chat: int, label: str) -> None:
    """Press a button on the bot's last message and wait until the press was answered."""
    message = emu.last(chat)
    query_id = emu.press(user, chat, message.message_id, label)
    await emu.wait_answer(query_id)


async def subscribe_resident(emu: BotApiEmulator, user: int) -> None:
    assert "In which municipality" in await say(emu, user, user, "/start") or True
    await press(emu, user, user, "Borne")
    await press(emu, user, user, "✅ Burglary prevention")  # off
    await press(emu, user, user, "✅ Registering valuables (Stop Heling)")  # off
    await press(emu, user, user, "⬜ Students")
    await press(emu, user, user, "Confirm")


async def test_resident_subscribes_changes_and_stops(emu: BotApiEmulator, bot: BotHarness) -> None:
    anna = emu.add_user("Anna", language_code="en").id
    greeting = await say(emu, anna, anna, "/start")
    assert "Welcome to Buurtwacht" in greeting and "In which municipality" in greeting
    labels = [b[0] for row in emu.last(anna).buttons() for b in row]
    assert len(labels) == 14 and "Hof van Twente" in labels

    await press(emu, anna, anna, "Enschede")
    assert "Which neighbourhood of Enschede?" in emu.last(anna).text
    await press(emu, anna, anna, "Roombeek" if False else "Oost")
    # The seed report's core messages and neighbourhood alerts are on by default; students are
    # opt-in.
    assert [b[0] for row in emu.last(anna).buttons() for b in row][:5] == [
        "✅ Burglary prevention",
        "✅ Holidays",
        "⬜ Students",
        "✅ Registering valuables (Stop Heling)",
        "✅ Neighbourhood alerts",
    ]
    await press(emu, anna, anna, "✅ Registering valuables (Stop Heling)")
    await press(emu, anna, anna, "Confirm")
    summary = emu.last(anna).text
    assert "You are subscribed" in summary and "Enschede" in summary and "Oost" in summary
    assert "Burglary prevention, Holidays" in summary and "/settings" in summary

    chat = await bot.services.chats.get(anna)
    assert chat is not None and chat.subscribed and chat.active
    assert (chat.municipality, chat.neighbourhood, chat.locale) == ("enschede", "Oost", "en")
    assert chat.topics == {"burglary", "holidays", "alerts"}  # alerts are on by default

    # /settings: switch to a municipality without neighbourhoods, saved at once.
    assert "Your settings" in await say(emu, anna, anna, "/settings")
    await press(emu, anna, anna, "Municipality")
    await press(emu, anna, anna, "Losser")
    assert "Municipality: Losser" in emu.last(anna).text
    chat = await bot.services.chats.get(anna)
    assert chat is not None and (chat.municipality, chat.neighbourhood) == ("losser", None)

    # /stop asks first; "No" keeps everything.
    assert "Do you want to stop?" in await say(emu, anna, anna, "/stop")
    await press(emu, anna, anna, "No, keep it")
    assert (await bot.services.chats.get(anna)).subscribed  # type: ignore[union-attr]
    await say(emu, anna, anna, "/stop")
    await press(emu, anna, anna, "Yes, stop")
    assert "unsubscribed" in emu.last(anna).text
    chat = await bot.services.chats.get(anna)
    assert chat is not None and not chat.subscribed
    assert (chat.municipality, chat.topics) == (None, frozenset())


async def test_dutch_is_default_for_other_languages(emu: BotApiEmulator, bot: BotHarness) -> None:
    for code in ("nl", "de", None):
        user = emu.add_user("Piet", language_code=code).id
        assert "In welke gemeente woon je?" in await say(emu, user, user, "/start")


async def test_aanmelden_in_a_private_chat_starts_the_wizard(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """The Dutch word for subscribing, typed where /start is meant, is not an unknown command."""
    kees = emu.add_user("Kees", language_code="nl").id
    assert "In welke gemeente woon je?" in await say(emu, kees, kees, "/aanmelden")
    assert "In welke gemeente woon je?" in await say(emu, kees, kees, "/subscribe")


async def test_deep_link_preselects_municipality(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Bram", language_code="en").id
    text = await say(emu, user, user, "/start gem_enschede")
    assert "Which neighbourhood of Enschede?" in text
    other = emu.add_user("Cor", language_code="en").id
    text = await say(emu, other, other, "/start gem_haarlem")
    assert "I don't know the municipality in this link" in text
    assert "In which municipality do you live?" in text
    # A link typed from a poster in capitals is the same link.
    dirk = emu.add_user("Dirk", language_code="en").id
    assert "Which neighbourhood of Enschede?" in await say(emu, dirk, dirk, "/start GEM_Enschede")


async def test_a_double_tap_on_confirm_is_answered_quietly(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """The second tap of a double tap arrives after the wizard finished: the message already
    says "You are subscribed", so no "outdated" alert pops up over it, and nothing changes."""
    user = emu.add_user("Els", language_code="en").id
    await say(emu, user, user, "/start")
    wizard = emu.last(user)
    await press(emu, user, user, "Borne")
    confirm = next(d for t, d in emu.last(user).flat_buttons() if t == "Confirm")
    assert confirm is not None
    first = emu.press_button(user, user, wizard.message_id, confirm)
    second = emu.press_button(user, user, wizard.message_id, confirm)
    await emu.wait_answer(first)
    answer = await emu.wait_answer(second)
    await emu.wait_idle()
    assert answer is not None and answer.get("text") is None
    done = emu.message(user, wizard.message_id)
    assert "You are subscribed" in (done.text or "") and done.edits == 2
    assert len(emu.sent(user)) == 1
    # The same data on another message is still outdated.
    await say(emu, user, user, "/help")
    other = emu.last(user).message_id
    refused = await emu.wait_answer(emu.press_button(user, user, other, confirm))
    assert refused is not None and "outdated" in str(refused["text"])


async def test_outdated_button_is_explained(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Dirk", language_code="en").id
    await say(emu, user, user, "/start")
    old = emu.last(user)
    await say(emu, user, user, "/start")  # a new wizard: the first keyboard is outdated now
    query = emu.press(user, user, old.message_id, "Borne")
    answer = await emu.wait_answer(query)
    assert answer is not None and "outdated" in answer["text"]
    chat = await bot.services.chats.get(user)
    assert chat is not None and chat.municipality is None

    # A forged or foreign callback is refused the same way, never acted on.
    query = emu.press_button(user, user, old.message_id, "sub:deadbeef:mun:borne")
    assert "outdated" in (await emu.wait_answer(query) or {}).get("text", "")
    query = emu.press_button(user, user, old.message_id, "garbage")
    assert "outdated" in (await emu.wait_answer(query) or {}).get("text", "")


async def test_wizard_survives_a_restart(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Eva", language_code="en").id
    await say(emu, user, user, "/start")
    await press(emu, user, user, "Borne")
    await bot.restart()
    await press(emu, user, user, "Confirm")
    assert "You are subscribed" in emu.last(user).text
    chat = await bot.services.chats.get(user)
    assert chat is not None and chat.municipality == "borne" and chat.subscribed


async def test_subscription_survives_restart(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Fleur", language_code="en").id
    await subscribe_resident(emu, user)
    await bot.restart()
    chat = await bot.services.chats.get(user)
    assert chat is not None and chat.topics == {"holidays", "students", "alerts"}
    assert "Municipality: Borne" in await say(emu, user, user, "/settings")


async def test_language_switch(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Gijs", language_code="en").id
    assert "Choose a language" in await say(emu, user, user, "/language")
    await press(emu, user, user, "Nederlands")
    assert emu.last(user).text == "De taal is nu Nederlands."
    assert "Wat ik hier kan" in await say(emu, user, user, "/help")
    assert (await bot.services.chats.get(user)).locale == "nl"  # type: ignore[union-attr]


async def test_unexpected_input_gets_clear_replies(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Hans", language_code="en").id
    assert "I don't know that command" in await say(emu, user, user, "/frobnicate")
    assert "commands and buttons" in await say(emu, user, user, "hello?")
    await say(emu, user, user, "/start")
    # Not subscribed yet, so /settings would only say so: the way back is /start.
    assert "use the buttons above, or /start to start again" in await say(
        emu, user, user, "Enschede"
    )
    assert "too long" in await say(emu, user, user, "x" * 5000)
    before = len(emu.sent(user))
    emu.send_sticker(user, user)
    assert "stickers" in (await emu.wait_sent(user, before + 1))[before].text
    assert "Not subscribed" not in await say(emu, user, user, "/settings")
    # Once subscribed, the /settings menu is the way back.
    wizard = next(m for m in emu.sent(user) if m.buttons()).message_id
    await emu.wait_answer(emu.press(user, user, wizard, "Borne"))
    await emu.wait_answer(emu.press(user, user, wizard, "Confirm"))
    assert "Your settings" in await say(emu, user, user, "/settings")
    assert "use the buttons above, or /settings to start again" in await say(
        emu, user, user, "Borne"
    )


async def test_help_depends_on_chat_and_role(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Ilse", language_code="en").id
    text = await say(emu, user, user, "/help")
    assert "/start" in text and "/settings" in text and "/subscribe" not in text
    member = emu.add_user("Joost", language_code="en").id
    group = emu.add_group("Buurt Oost", admins=[user], members=[member]).id
    await emu.wait_sent(group, 1)  # the introduction
    member_help = await say(emu, member, group, "/help")
    assert "/subscribe" not in member_help and "/help" in member_help
    admin_help = await say(emu, user, group, "/help")
    assert "/subscribe" in admin_help and "/stop" in admin_help


async def test_menus_and_descriptions_are_published(emu: BotApiEmulator, bot: BotHarness) -> None:
    private_nl = [c["command"] for c in emu.commands({"type": "all_private_chats"}, "nl")]
    assert {"start", "settings", "language", "stop", "help"} <= set(private_nl)
    admins_en = emu.commands({"type": "all_chat_administrators"}, "en")
    assert any(c["command"] == "subscribe" for c in admins_en)
    groups_en = [c["command"] for c in emu.commands({"type": "all_group_chats"}, "en")]
    assert "subscribe" not in groups_en
    assert "all year round" in emu.description("en")
    assert "het hele jaar" in emu.short_description("nl")
    assert emu.description("") == emu.description("nl")


async def test_group_subscription_by_admin_only(emu: BotApiEmulator, bot: BotHarness) -> None:
    admin = emu.add_user("Karin", language_code="en").id
    member = emu.add_user("Lars", language_code="en").id
    group = emu.add_group("Buurtpreventie Roombeek", admins=[admin], members=[member]).id
    intro = (await emu.wait_sent(group, 1))[0].text
    assert "/subscribe" in intro

    assert "Only the group's administrators" in await say(emu, member, group, "/subscribe")
    assert "Only the group's administrators" in await say(emu, member, group, "/stop")
    assert "In which municipality" in await say(emu, admin, group, "/aanmelden")

    # A member pressing the admin's buttons is refused with an explanation.
    query = emu.press(member, group, emu.last(group).message_id, "Hengelo")
    answer = await emu.wait_answer(query)
    assert answer is not None and "Only the group's administrators" in answer["text"]
    assert (await bot.services.chats.get(group)).municipality is None  # type: ignore[union-attr]

    await press(emu, admin, group, "Hengelo")
    assert "✅ Neighbourhood alerts" in [b[0] for row in emu.last(group).buttons() for b in row]
    await press(emu, admin, group, "Confirm")
    chat = await bot.services.chats.get(group)
    assert chat is not None and chat.kind == "group" and chat.subscribed
    assert chat.topics == {"burglary", "holidays", "valuables", "alerts"}

    # Demoted: the live check refuses the former admin at once.
    emu.set_admin(group, admin, False)
    assert "Only the group's administrators" in await say(emu, admin, group, "/settings")


async def test_anonymous_admin_can_stop_the_group(emu: BotApiEmulator, bot: BotHarness) -> None:
    """An anonymous admin's command comes from Telegram's shared GroupAnonymousBot account, but
    their press comes from their own: any admin of the group confirms, nobody else."""
    admin = emu.add_user("Karin", language_code="en").id
    member = emu.add_user("Lars", language_code="en").id
    group = emu.add_group("Buurt West", admins=[admin], members=[member]).id
    await emu.wait_sent(group, 1)
    await say(emu, admin, group, "/subscribe")
    await press(emu, admin, group, "Almelo")
    await press(emu, admin, group, "Confirm")

    before = len(emu.sent(group))
    emu.send_anonymous(group, "/stop")
    question = (await emu.wait_sent(group, before + 1))[-1]
    assert "Do you want to stop?" in (question.text or "")
    # A member who is no admin cannot confirm it.
    refused = await emu.wait_answer(emu.press(member, group, question.message_id, "Yes, stop"))
    assert refused is not None and "Only the group's administrators" in str(refused["text"])
    assert (await bot.services.chats.get(group)).subscribed  # type: ignore[union-attr]

    await emu.wait_answer(emu.press(admin, group, question.message_id, "Yes, stop"))
    assert "You have been unsubscribed" in (emu.message(group, question.message_id).text or "")
    assert not (await bot.services.chats.get(group)).subscribed  # type: ignore[union-attr]
    # Answered once: pressing it again changes nothing.
    again = await emu.wait_answer(emu.press_button(admin, group, question.message_id, "stop:yes"))
    assert again is not None and "outdated" in str(again["text"])


async def test_group_removed_readded_and_migrated(emu: BotApiEmulator, bot: BotHarness) -> None:
    admin = emu.add_user("Mila", language_code="en").id
    group = emu.add_group("Buurt Noord", admins=[admin]).id
    await emu.wait_sent(group, 1)
    await say(emu, admin, group, "/subscribe")
    await press(emu, admin, group, "Almelo")
    await press(emu, admin, group, "Confirm")

    emu.remove_bot_from_group(group, admin)
    await emu.wait_idle()
    chat = await bot.services.chats.get(group)
    assert chat is not None and not chat.active and chat.subscribed

    emu.add_bot_to_group(group, admin)
    sent = await emu.wait_sent(group, len(emu.sent(group)) + 1)
    assert "Welcome back" in sent[-1].text
    chat = await bot.services.chats.get(group)
    assert chat is not None and chat.active and chat.municipality == "almelo"

    new_id = emu.migrate_group(group)
    await emu.wait_idle()
    assert await bot.services.chats.get(group) is None
    moved = await bot.services.chats.get(new_id)
    assert moved is not None and moved.municipality == "almelo" and moved.subscribed
    # Moved, not copied: the group is the only chat the bot knows.
    assert await bot.services.db.fetchval("SELECT COUNT(*) FROM chats") == 1
    # The wizard still works in the supergroup.
    assert "Your settings" in await say(emu, admin, new_id, "/settings")


async def test_private_block_marks_inactive(emu: BotApiEmulator, bot: BotHarness) -> None:
    user = emu.add_user("Noor", language_code="en").id
    await subscribe_resident(emu, user)
    emu.block_bot(user)
    await emu.wait_idle()
    assert not (await bot.services.chats.get(user)).active  # type: ignore[union-attr]
    emu.unblock_bot(user)
    await emu.wait_idle()


async def test_handler_error_gets_an_apology_and_bot_keeps_running(
    emu: BotApiEmulator, bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.services.chats, "ensure", broken)
    user = emu.add_user("Olga", language_code="en").id
    assert "something went wrong" in await say(emu, user, user, "/start")
    # A press that reaches a handler which needs the broken store.
    query = emu.press_button(user, user, emu.last(user).message_id, "sub:00000000:mun:borne")
    answer = await emu.wait_answer(query)
    assert answer is not None and "something went wrong" in answer["text"]
    assert "What I can do here" in await say(emu, user, user, "/help")


async def test_a_resident_who_opened_the_bot_once_is_forgotten_after_a_day(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """/start from a poster and never again (most such residents): their wizard draft and the
    empty chat and user data PTB keeps for them leave memory and the database with the daily job
    a day later; a subscribed resident keeps their subscription and their buttons; a press on
    the forgotten wizard is answered as outdated."""
    app, services = bot.app, bot.services
    assert app is not None
    once = emu.add_user("Eenmalig", language_code="en").id
    assert "Welcome to Buurtwacht" in await say(emu, once, once, "/start")
    anna = emu.add_user("Anna", language_code="en").id
    await subscribe_resident(emu, anna)
    await app.update_persistence()
    assert WIZARD_KEY in app.chat_data[once]

    async def stored(key: int) -> int:
        return int(
            await services.db.fetchval(
                "SELECT COUNT(*) FROM ptb_state WHERE kind IN ('user', 'chat') AND key = ?",
                (str(key),),
            )
        )

    assert await stored(once) == 1
    await run_daily(app, services.now() + timedelta(hours=23))  # not a day yet
    assert WIZARD_KEY in app.chat_data[once]
    await run_daily(app, services.now() + timedelta(hours=25))
    assert once not in app.chat_data and once not in app.user_data
    assert anna not in app.chat_data  # empty once her wizard was done
    assert "prompts" in app.user_data[anna]  # her confirmation's advice button keeps working
    assert await stored(once) == 0
    subscribed = await services.chats.get(anna)
    assert subscribed is not None and subscribed.subscribed
    query = emu.press(once, once, emu.last(once).message_id, "Borne")  # the wizard they left
    assert "This button is outdated" in str((await emu.wait_answer(query))["text"])
    assert once not in app.user_data or not app.user_data[once]
