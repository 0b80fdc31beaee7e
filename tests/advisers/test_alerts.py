"""Neighbourhood alerts: who receives them, the night's second confirmation, and the follow-up
the next day at 10:00 through the planner."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.advisers.broadcasts import alert_content
from bot.sandbox.emulator import BotApiEmulator
from bot.subscription import DEFAULT_TOPICS
from messages.telegram_html import telegram_length
from tests.advisers.helpers import adviser, group, labels, press, resident, say
from tests.harness import BotHarness

ALERTS = frozenset({"burglary", "alerts"})


async def test_alert_audience_night_confirmation_and_follow_up(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    # 23:30 in Amsterdam (CEST): night.
    services.now = lambda: datetime(2027, 6, 9, 21, 30, tzinfo=UTC)
    oost = await resident(emu, bot, "Olga", "enschede", neighbourhood="Oost", topics=ALERTS)
    whole = await resident(emu, bot, "Wim", "enschede", topics=ALERTS)
    no_topic = await resident(emu, bot, "Nina", "enschede", neighbourhood="Oost")
    west = await resident(emu, bot, "Wes", "enschede", neighbourhood="West", topics=ALERTS)
    member = emu.add_user("Gert", language_code="en").id
    oost_group = await group(emu, bot, "Oost", member, "enschede", neighbourhood="Oost")
    eva = await adviser(emu, bot, "Eva", "enschede")

    (prompt,) = await say(emu, eva, "/alert")
    assert "Which neighbourhood of Enschede?" in (prompt.text or "")
    await press(emu, eva, "Oost", replies=1)
    await say(emu, eva, "Several burglaries in Oost <b>today</b>.", replies=3)
    # Every language it goes out in, Eva's own first.
    preview, dutch, question = emu.sent(eva)[-3:]
    assert "Neighbourhood alert: Oost (Enschede)" in (preview.text or "")
    assert "Buurtwaarschuwing: Oost (Enschede)" in (dutch.text or "")
    assert "call 112 first" in (preview.text or "")
    assert "&lt;b&gt;today&lt;/b&gt;" in (preview.html or "")  # typed tags are text, not markup
    # Olga and Wim (alerts topic; Wim follows the whole municipality) and the Oost group.
    assert "3 chats" in (question.text or "")

    await press(emu, eva, "Send now", replies=1)
    assert "It is night" in (emu.last(eva).text or "")
    assert (
        await services.alerts.count(["enschede"], datetime(2027, 1, 1, tzinfo=UTC), services.now())
        == {}
    )
    await press(emu, eva, "Yes, send it now", replies=1)
    assert "goes out to 3 chats" in (emu.last(eva).text or "")

    for chat in (oost, whole, oost_group):
        alert = (await emu.wait_sent(chat, 2))[-1]
        assert alert.html == preview.html  # not held by quiet hours, same rendering
    await emu.wait_idle()
    assert len(emu.sent(no_topic)) == 1 and len(emu.sent(west)) == 1
    (entry,) = [e for e in await services.audit.latest() if e.action == "alert.send"]
    assert entry.actor_id == eva and entry.target.startswith("enschede:")

    # The next day at 10:00 (08:00 UTC) the same audience hears about free advice.
    services.now = lambda: datetime(2027, 6, 10, 8, 0, tzinfo=UTC)  # exactly due
    await services.planner.run_due()
    for chat in (oost, whole, oost_group):
        follow_up = (await emu.wait_sent(chat, 3))[-1]
        assert "/advice" in (follow_up.text or "")
    await emu.wait_idle()
    assert len(emu.sent(no_topic)) == 1 and len(emu.sent(west)) == 1


async def test_alert_by_day_needs_one_confirmation(emu: BotApiEmulator, bot: BotHarness) -> None:
    bot.services.now = lambda: datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    await resident(emu, bot, "Lot", "losser", topics=ALERTS)
    eva = await adviser(emu, bot, "Eva", "losser")
    (prompt,) = await say(emu, eva, "/waarschuwing")
    assert "What happened?" in (prompt.text or "")  # Losser has no neighbourhoods
    await say(emu, eva, "Inbraken vandaag", replies=3)
    await press(emu, eva, "Send now", replies=1)
    assert "goes out to 1 chat now" in (emu.last(eva).text or "")


async def test_alerts_are_on_by_default_and_off_is_honoured(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """As residents know it from Burgernet: a new subscriber gets alerts unless they switch them
    off, and a group that switched them off gets none."""
    services = bot.services
    services.now = lambda: datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    nora = emu.add_user("Nora", language_code="nl").id
    await say(emu, nora, "/start")
    await press(emu, nora, "Losser")
    topics = emu.last(nora)
    assert "✅ Buurtwaarschuwingen" in labels(topics)
    await press(emu, nora, "Bevestigen")
    assert "Buurtwaarschuwingen" in (emu.last(nora).text or "")

    karin = emu.add_user("Karin", language_code="en").id
    quiet = emu.add_group("Quiet street", admins=[karin]).id
    await emu.wait_sent(quiet, 1)
    await say(emu, karin, "/subscribe", chat=quiet)
    await emu.wait_answer(emu.press(karin, quiet, emu.last(quiet).message_id, "Losser"))
    await emu.wait_answer(
        emu.press(karin, quiet, emu.last(quiet).message_id, "✅ Neighbourhood alerts")
    )
    await emu.wait_answer(emu.press(karin, quiet, emu.last(quiet).message_id, "Confirm"))
    chat = await services.chats.get(quiet)
    assert chat is not None and chat.topics == DEFAULT_TOPICS - {"alerts"}
    loud = await group(emu, bot, "Loud street", karin, "losser")  # the default topics
    in_quiet, in_loud = len(emu.sent(quiet)), len(emu.sent(loud))

    eva = await adviser(emu, bot, "Eva", "losser")
    await say(emu, eva, "/alert")
    *_previews, question = await say(emu, eva, "Inbraken vandaag", replies=3)
    assert "2 chats" in (question.text or "")  # Nora and the loud group
    await press(emu, eva, "Send now", replies=1)
    assert "Inbraken vandaag" in ((await emu.wait_sent(nora, 2))[-1].text or "")
    assert "Inbraken vandaag" in ((await emu.wait_sent(loud, in_loud + 1))[-1].text or "")
    await emu.wait_idle()
    assert len(emu.sent(quiet)) == in_quiet


async def test_every_language_is_checked_before_the_alert_can_be_sent(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    await resident(emu, bot, "Lot", "losser", topics=ALERTS)  # an English chat
    eva = emu.add_user("Eva", language_code="nl").id  # a Dutch adviser
    await say(emu, eva, "/help")
    await services.roles.grant(eva, "adviser", ["losser"], label="Eva")

    def lengths(text: str) -> dict[str, int]:
        content = alert_content(services, "Losser", text)
        return {locale: telegram_length(content.text(locale)) for locale in ("nl", "en")}

    # The English template is longer: a text that just fits in Dutch is too long in English.
    empty = lengths("")
    over = empty["en"] - empty["nl"]
    assert over > 0
    text = "x" * (4096 - empty["nl"])
    assert lengths(text) == {"nl": 4096, "en": 4096 + over}
    await say(emu, eva, "/waarschuwing")
    (refusal,) = await say(emu, eva, text)
    assert refusal.text == (
        f"In het Engels is het bericht {over} tekens te lang: {4096 + over} van hoogstens "
        "4096. Maak het korter."
    )
    assert refusal.flat_buttons() == []
    # Still waiting for the text: a shorter one is previewed in both languages, then sent.
    nl_preview, en_preview, question = await say(emu, eva, text[: -over - 10], replies=3)
    assert "Buurtwaarschuwing" in (nl_preview.text or "")
    assert "Neighbourhood alert" in (en_preview.text or "")
    assert "1 chat" in (question.text or "")
    await press(emu, eva, "Nu versturen", replies=1)
    assert "gaat nu naar 1 chat" in (emu.last(eva).text or "")


async def test_an_alert_is_not_swallowed_by_a_campaign_left_half_way(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """A campaign wizard left at its moment step (kept across restarts) took the alert's
    "what happened?" text: "I don't understand that moment". The flow started last wins, and
    the old wizard's buttons are outdated."""
    bot.services.now = lambda: datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    await resident(emu, bot, "Lot", "losser", topics=ALERTS)
    eva = await adviser(emu, bot, "Eva", "losser")
    await say(emu, eva, "/campaign")
    await say(emu, eva, "Lock the door")
    await press(emu, eva, "English", replies=1)
    await press(emu, eva, "Send them the English text", replies=1)
    await press(emu, eva, "Next", replies=1)
    moment = emu.last(eva)
    assert "When should it go out?" in (moment.text or "")
    await bot.restart()
    bot.services.now = lambda: datetime(2027, 6, 9, 12, 0, tzinfo=UTC)

    await say(emu, eva, "/alert")
    preview, _dutch, question = await say(emu, eva, "Burglaries today", replies=3)
    assert "Neighbourhood alert" in (preview.text or "") and "Burglaries today" in (
        preview.text or ""
    )
    assert labels(question) == ["Send now", "Cancel"]
    answer = await press(emu, eva, "Now", message_id=moment.message_id)
    assert "outdated" in str(answer["text"])
    await press(emu, eva, "Send now", message_id=question.message_id, replies=1)
    assert "goes out to 1 chat now" in (emu.last(eva).text or "")
    assert await bot.services.campaigns.recent() == []
    # The same after a restart: the campaign wizard does not come back to life.
    await bot.restart()
    (reply,) = await say(emu, eva, "tomorrow 19:00")
    assert "moment" not in (reply.text or "")
