"""A text to someone other than the person acting is in the recipient's language: the invite
notice to a Dutch admin, the approval notice to a Dutch author, the request to an English
approver."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import campaign_text, press, say
from tests.harness import BotHarness, make_config

NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)
LINK = re.compile(r"start=(inv_[\w-]+)")


async def test_notices_to_others_are_in_their_language(emu: BotApiEmulator, tmp_path: Path) -> None:
    ada = emu.add_user("Ada", language_code="nl").id
    config = make_config(tmp_path, admins={"user_ids": [ada]}, campaigns={"require_approval": True})
    bot = BotHarness(emu, config)
    await bot.start()
    try:
        bot.services.now = lambda: NOW
        (reply,) = await say(emu, ada, "/invite adviser Enschede")
        assert "Uitnodiging" in (reply.text or "")
        links = []
        for name, language in (("Vera", "en"), ("Daan", "nl")):
            (reply,) = await say(emu, ada, "/invite adviser enschede")
            match = LINK.search(reply.text or "")
            assert match
            links.append((emu.add_user(name, language_code=language).id, match.group(1)))
        (vera, vera_link), (daan, daan_link) = links

        before = len(emu.sent(ada))
        (welcome,) = await say(emu, vera, f"/start {vera_link}")
        assert "You are now an adviser for Enschede" in (welcome.text or "")
        (notice,) = (await emu.wait_sent(ada, before + 1))[before:]
        assert (
            notice.text == "Vera heeft je uitnodiging aangenomen en is nu adviseur voor Enschede."
        )
        before = len(emu.sent(ada))
        await say(emu, daan, f"/start {daan_link}")
        await emu.wait_sent(ada, before + 1)

        # Daan (Dutch) writes; Vera (English) is asked in English and approves.
        await campaign_text(
            emu,
            daan,
            "Doe vanavond de deur op slot",
            "Nederlands",
            "Stuur ze de tekst in Nederlands",
            "/campagne",
        )
        await press(emu, daan, "Verder", replies=1)
        await say(emu, daan, "morgen 19:00", replies=2)
        assert "Hij wordt verstuurd op 21 oktober 2027 19:00." in (emu.last(daan).text or "")
        vera_before = len(emu.sent(vera))
        await press(emu, daan, "Bevestigen", replies=1)
        assert "wacht op goedkeuring" in (emu.last(daan).text or "")
        request = (await emu.wait_sent(vera, vera_before + 2))[-1]
        assert "waits for your approval" in (request.text or "")
        daan_before = len(emu.sent(daan))
        await press(emu, vera, "Approve")
        told = (await emu.wait_sent(daan, daan_before + 1))[-1]
        assert told.text == (
            "Je campagne #1 is goedgekeurd. Hij wordt verstuurd op 21 oktober 2027 19:00."
        )
    finally:
        await bot.stop()
