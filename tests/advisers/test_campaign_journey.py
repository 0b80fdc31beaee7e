"""An adviser's campaign from the first text to delivery, as the adviser would do it: the language
of each text, the audience from nothing, quiet hours at night, a new text for a scheduled campaign,
and titles in the list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import adviser, campaign_text, group, labels, press, resident, say
from tests.harness import BotHarness

# A Wednesday in October 2027, 12:00 in Amsterdam.
NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)
TOMORROW_19 = datetime(2027, 10, 21, 17, 0, tzinfo=UTC)


async def test_each_language_gets_the_text_written_for_it(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    daan = await resident(emu, bot, "Daan", "enschede", locale="nl")
    emma = await resident(emu, bot, "Emma", "enschede", locale="en")
    eva = await adviser(emu, bot, "Eva", "enschede")

    await say(emu, eva, "/campaign")
    (question,) = await say(emu, eva, "Lock your door tonight")
    assert question.text == "In which language did you write this text?"
    assert labels(question) == ["Nederlands", "English"]
    await press(emu, eva, "English", replies=1)
    other = emu.last(eva)
    assert "Readers who chose Nederlands" in (other.text or "")
    assert labels(other) == ["Write it in Nederlands", "Send them the English text"]
    await press(emu, eva, "Write it in Nederlands", replies=1)
    assert emu.last(eva).text == "Now send the text in Nederlands."
    (audience,) = await say(emu, eva, "Doe vanavond je deur op slot")
    assert "2 chats" in (audience.text or "")
    await press(emu, eva, "Next", replies=1)
    await say(emu, eva, "tomorrow 19:00", replies=3)
    english, dutch, summary = emu.sent(eva)[-3:]
    assert (english.text, dutch.text) == ("Lock your door tonight", "Doe vanavond je deur op slot")
    assert "one per language" in (summary.text or "")
    assert "• Nederlands: own text, 1 chat" in (summary.text or "")
    assert "• English: own text, 1 chat" in (summary.text or "")
    await press(emu, eva, "Confirm", replies=1)

    services.now = lambda: TOMORROW_19
    await services.planner.run_due()
    assert (await emu.wait_sent(daan, 2))[-1].text == "Doe vanavond je deur op slot"
    assert (await emu.wait_sent(emma, 2))[-1].text == "Lock your door tonight"

    # One text for everyone is a choice the adviser makes, and the preview says so.
    services.now = lambda: NOW
    await campaign_text(emu, eva, "Burglars like dark evenings")
    await press(emu, eva, "Next", replies=1)
    await say(emu, eva, "tomorrow 20:00", replies=2)
    summary = emu.last(eva)
    assert "This is the message exactly as recipients will see it" in (summary.text or "")
    assert "• Nederlands: the English text, 1 chat" in (summary.text or "")
    await press(emu, eva, "Confirm", replies=1)
    services.now = lambda: TOMORROW_19 + timedelta(hours=1)
    await services.planner.run_due()
    assert (await emu.wait_sent(daan, 3))[-1].text == "Burglars like dark evenings"


async def test_a_dutch_adviser_is_asked_in_dutch(emu: BotApiEmulator, bot: BotHarness) -> None:
    bot.services.now = lambda: NOW
    dirk = await adviser(emu, bot, "Dirk", "enschede", locale="nl")
    await say(emu, dirk, "/campagne")
    (question,) = await say(emu, dirk, "Doe de deur op slot")
    assert question.text == "In welke taal heb je deze tekst geschreven?"
    await press(emu, dirk, "Nederlands", replies=1)
    assert labels(emu.last(dirk)) == [
        "Schrijf een tekst in English",
        "Stuur ze de tekst in Nederlands",
    ]


async def test_a_dutch_adviser_hears_why_a_text_is_refused_in_dutch(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """The reason of a refusal was the validator's English ("the text is 5000 characters, over
    4096") inside the Dutch sentence; nothing is stored and the next text is taken."""
    bot.services.now = lambda: NOW
    dirk = await adviser(emu, bot, "Dirk", "enschede", locale="nl")
    await say(emu, dirk, "/campagne")
    (refusal,) = await say(emu, dirk, "x" * 5000)
    assert refusal.text == (
        "Telegram zou deze tekst niet accepteren: de tekst heeft 5000 tekens, 904 meer dan "
        "de 4096 die Telegram toestaat. Pas de tekst aan en stuur hem opnieuw, of /annuleren."
    )
    (question,) = await say(emu, dirk, "Doe de deur op slot")
    assert question.text == "In welke taal heb je deze tekst geschreven?"
    await say(emu, dirk, "/annuleren")
    await say(emu, dirk, "/kalender")
    await press(emu, dirk, 0)
    await press(emu, dirk, "Tekst vervangen", replies=1)
    (refusal,) = await say(emu, dirk, "x" * 1100)
    assert "de tekst heeft 1100 tekens, 76 meer dan de 1024 die Telegram toestaat" in (
        refusal.text or ""
    )
    assert await bot.services.outbox.overrides() == []


async def test_audience_starts_empty_for_the_region_and_stays_right(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    services = bot.services
    services.now = lambda: NOW
    await resident(emu, bot, "Olga", "enschede", neighbourhood="Oost")
    await resident(emu, bot, "Wes", "enschede", neighbourhood="West")
    await resident(emu, bot, "Alma", "almelo")
    await campaign_text(emu, admin, "Lock up")
    screen = emu.last(admin)
    text = screen.text or ""
    assert "Municipalities: –" in text and "0 chats" in text
    assert not [label for label in labels(screen) if label.startswith("✅")]

    answer = await press(emu, admin, "Next")
    assert answer["text"] == "Choose at least one municipality."
    await press(emu, admin, "⬜ Almelo")
    assert "Municipalities: Almelo" in (emu.last(admin).text or "")
    await press(emu, admin, "All my municipalities")
    assert "the whole region" in (emu.last(admin).text or "")
    await press(emu, admin, "Only Almelo")
    screen = emu.last(admin)
    assert [lb for lb in labels(screen) if lb.startswith("✅")] == ["✅ Almelo"]
    assert "1 chat" in (screen.text or "")

    await press(emu, admin, "✅ Almelo")
    await press(emu, admin, "⬜ Enschede")
    await press(emu, admin, "⬜ Oost")
    assert "Neighbourhoods: Oost" in (emu.last(admin).text or "")

    # Tapping what is already chosen changes nothing and breaks nothing.
    before = emu.last(admin)
    sent_before = len(emu.sent(admin))
    answer = await press(emu, admin, "🔘 Both")
    after = emu.last(admin)
    assert not answer["text"]
    assert (after.text, after.buttons(), after.edits) == (
        before.text,
        before.buttons(),
        before.edits,
    )
    assert len(emu.sent(admin)) == sent_before
    await press(emu, admin, "Next", replies=1)
    await say(emu, admin, "tomorrow 19:00", replies=2)
    summary = emu.last(admin).text or ""
    assert "Audience: Enschede (Oost)" in summary and "1 chat" in summary

    # An adviser of one municipality starts with it.
    eva = await adviser(emu, bot, "Eva", "enschede")
    await campaign_text(emu, eva, "Lock up")
    assert "Municipalities: Enschede" in (emu.last(eva).text or "")


async def test_now_at_night_lets_the_adviser_choose(emu: BotApiEmulator, bot: BotHarness) -> None:
    services = bot.services
    night = datetime(2027, 10, 20, 20, 30, tzinfo=UTC)  # 22:30 in Amsterdam
    services.now = lambda: night
    rita = await resident(emu, bot, "Rita", "enschede")
    gea = emu.add_user("Gea", language_code="en").id
    buren = await group(emu, bot, "Buren", gea, "enschede")
    eva = await adviser(emu, bot, "Eva", "enschede")
    in_group = len(emu.sent(buren))

    await campaign_text(emu, eva, "Lock up tonight")
    await press(emu, eva, "Next", replies=1)
    await press(emu, eva, "Now", replies=1)
    question = emu.last(eva)
    assert "quiet hours (21:00-08:00)" in (question.text or "")
    assert labels(question) == ["Groups now, private chats at 08:00", "Everyone at 08:00"]
    await press(emu, eva, "Groups now, private chats at 08:00", replies=2)
    summary = emu.last(eva).text or ""
    assert "Groups get it now; private chats on 21 October 2027 08:00" in summary
    await press(emu, eva, "Confirm", replies=1)
    assert "Groups get it now" in (emu.last(eva).text or "")
    assert (await emu.wait_sent(buren, in_group + 1))[-1].text == "Lock up tonight"
    await emu.wait_idle()
    assert len(emu.sent(rita)) == 1  # only the reply to /start: held until 08:00
    services.now = lambda: datetime(2027, 10, 21, 6, 0, tzinfo=UTC)
    await services.engine.drain()
    assert (await emu.wait_sent(rita, 2))[-1].text == "Lock up tonight"

    services.now = lambda: night
    await campaign_text(emu, eva, "Good morning")
    await press(emu, eva, "Next", replies=1)
    await press(emu, eva, "Now", replies=1)
    await press(emu, eva, "Everyone at 08:00", replies=2)
    assert "It goes out on 21 October 2027 08:00" in (emu.last(eva).text or "")
    await press(emu, eva, "Confirm", replies=1)
    second = (await services.campaigns.recent())[-1]
    assert second.due_at == datetime(2027, 10, 21, 6, 0, tzinfo=UTC)
    await emu.wait_idle()
    assert len(emu.sent(buren)) == in_group + 1


async def test_a_scheduled_campaign_gets_a_new_text_and_lists_show_titles(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    rita = await resident(emu, bot, "Rita", "enschede")
    eva = await adviser(emu, bot, "Eva", "enschede")
    await campaign_text(emu, eva, "Dark evenings\nLock your door")
    await press(emu, eva, "Next", replies=1)
    await say(emu, eva, "tomorrow 19:00", replies=2)
    await press(emu, eva, "Confirm", replies=1)
    (campaign,) = await services.campaigns.recent()

    (listing,) = await say(emu, eva, "/campaigns")
    assert f"#{campaign.id} Dark evenings ·" in (listing.text or "")
    await press(emu, eva, f"Edit text #{campaign.id}", replies=1)
    assert f"New text for campaign #{campaign.id}" in (emu.last(eva).text or "")
    await say(emu, eva, "Dark evenings\nLock your door and the shed")
    await press(emu, eva, "English", replies=1)
    await press(emu, eva, "Send them the English text", replies=2)
    summary = emu.last(eva)
    assert labels(summary) == ["Save the new text", "Test send", "Cancel"]
    await press(emu, eva, "Save the new text", replies=1)
    assert "has the new text" in (emu.last(eva).text or "")
    assert [e.action for e in await services.audit.latest()].count("campaign.edit") == 1

    services.now = lambda: TOMORROW_19
    await services.planner.run_due()
    delivered = (await emu.wait_sent(rita, 2))[-1]
    assert delivered.text == "Dark evenings\nLock your door and the shed"
    # Gone out: no new text any more.
    (listing,) = await say(emu, eva, "/campaigns")
    assert f"Edit text #{campaign.id}" not in labels(listing)


async def test_a_draft_from_before_the_language_question_still_works(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """A draft persisted mid-wizard by the previous version (no languages recorded) survives the
    upgrade: a text shared by the languages is still sent once."""
    bot.services.now = lambda: NOW
    eva = await adviser(emu, bot, "Eva", "enschede")
    await campaign_text(emu, eva, "Lock up")
    await press(emu, eva, "Next", replies=1)
    await say(emu, eva, "tomorrow 19:00", replies=2)
    assert bot.app is not None
    draft = bot.app.user_data[eva]["campaign_draft"]
    for key in ("sources", "pending", "campaign_id", "last"):
        del draft[key]
    answer = await press(emu, eva, "Test send", replies=1)
    assert answer["text"] == "Sent to you only."
    await press(emu, eva, "Confirm", message_id=emu.sent(eva)[-2].message_id, replies=1)
    assert "goes out on 21 October 2027 19:00" in (emu.last(eva).text or "")


async def test_a_photo_refused_for_its_caption_does_not_ride_along(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """A photo with a caption over 1,024 characters was refused, yet kept in the draft: the
    plain text sent instead went out as that photo's caption."""
    bot.services.now = lambda: NOW
    await resident(emu, bot, "Anna", "enschede")
    eva = await adviser(emu, bot, "Eva", "enschede")
    await say(emu, eva, "/campaign")
    before = len(emu.sent(eva))
    emu.send_photo(eva, eva, "y" * 1500)
    (refusal,) = (await emu.wait_sent(eva, before + 1))[before:]
    assert "1500 characters, 476 more than the 1024 Telegram allows" in (refusal.text or "")
    await say(emu, eva, "Lock the door tonight")  # the same wizard, now without a photo
    await press(emu, eva, "English", replies=1)
    await press(emu, eva, "Send them the English text", replies=1)
    await press(emu, eva, "Next", replies=1)
    await press(emu, eva, "Now", replies=2)
    preview = emu.sent(eva)[-2]
    assert preview.photo is None and preview.text == "Lock the door tonight"
    await press(emu, eva, "Confirm", replies=1)
    (campaign,) = await bot.services.campaigns.recent()
    assert campaign.content.image is None


async def test_a_poster_sent_as_a_file_is_asked_for_as_a_photo(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    """A picture sent as a file got the bot's general "I can't do anything with stickers,
    photos or files here", right after the wizard had asked for a photo."""
    bot.services.now = lambda: NOW
    dirk = await adviser(emu, bot, "Dirk", "enschede", locale="nl")
    await say(emu, dirk, "/campagne")
    before = len(emu.sent(dirk))
    document = {
        "file_id": "d1",
        "file_unique_id": "d1u",
        "file_name": "poster.jpg",
        "mime_type": "image/jpeg",
        "file_size": 3_000_000,
    }
    emu.send_custom(dirk, dirk, {"document": document, "caption": "Doe de deur op slot"})
    (reply,) = (await emu.wait_sent(dirk, before + 1))[before:]
    assert reply.text == (
        "Ik kan alleen een tekst gebruiken, of een foto met de tekst als bijschrift. Stuur een "
        "afbeelding als foto, niet als bestand. Met /annuleren stop je."
    )
    (question,) = await say(emu, dirk, "Doe de deur op slot")  # still the same step
    assert question.text == "In welke taal heb je deze tekst geschreven?"
