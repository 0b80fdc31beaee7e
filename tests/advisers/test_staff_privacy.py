"""A staff member's own data: /mydata shows their role, /forgetme removes their name."""

from __future__ import annotations

import json

from bot.sandbox.emulator import BotApiEmulator
from tests.harness import BotHarness


async def test_adviser_exports_and_forgets_their_label(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    eva = emu.add_user("Eva", language_code="en").id
    await bot.services.roles.grant(eva, "adviser", ["enschede"], label="Eva de Vries")

    emu.send_text(eva, eva, "/mydata")
    summary, export = await emu.wait_sent(eva, 2)
    assert "Role: adviser for enschede" in summary.text
    assert export.document is not None
    document = json.loads(export.document.data)
    (role,) = document["roles"]
    assert (role["role"], role["label"], role["municipalities"]) == (
        "adviser",
        "Eva de Vries",
        ["enschede"],
    )

    emu.send_text(eva, eva, "/forgetme")
    (question,) = (await emu.wait_sent(eva, 3))[2:]
    query = emu.press(eva, eva, question.message_id, "Yes, delete my data")
    await emu.wait_answer(query)
    await emu.wait_idle()
    (grant,) = [g for g in await bot.services.roles.all() if g.user_id == eva]
    assert grant.label == "" and grant.role == "adviser"
