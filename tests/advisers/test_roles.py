"""Admins invite advisers with one-time links, list and revoke roles, and read the audit log."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import timedelta
from pathlib import Path

from bot.auth import refresh_staff_menu
from bot.cli import main as cli
from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import config_file, press, say
from tests.harness import BotHarness

LINK = re.compile(r"start=(inv_[\w-]+)")


async def _invite(emu: BotApiEmulator, admin: int, scope: str) -> str:
    (reply,) = await say(emu, admin, f"/invite adviser {scope}")
    match = LINK.search(reply.text or "")
    assert match, reply.text
    return match.group(1)


async def test_the_admin_commands_work_in_dutch(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    """`/uitnodigen adviseur alle`, `/rollen`, `/logboek`: the Dutch names /help gives (the
    Dutch texts name them, tests/bot/test_i18n.py) work, whatever the admin's language."""
    (usage,) = await say(emu, admin, "/uitnodigen")
    assert (usage.text or "").startswith("Usage: /invite adviser <municipality|all>")
    (reply,) = await say(emu, admin, "/uitnodigen adviseur alle")
    assert LINK.search(reply.text or ""), reply.text
    (roles,) = await say(emu, admin, "/rollen")
    assert "unknown" not in (roles.text or "").lower() and "ken ik niet" not in (roles.text or "")
    (log,) = await say(emu, admin, "/logboek")
    assert "invite" in (log.text or "")


async def test_invite_grants_the_role_once_and_tells_the_admin(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    payload = await _invite(emu, admin, "Enschede")
    bea = emu.add_user("Bea", language_code="en").id
    admin_before = len(emu.sent(admin))
    (welcome,) = await say(emu, bea, f"/start {payload}")
    assert "You are now an adviser for Enschede" in (welcome.text or "")
    (notice,) = (await emu.wait_sent(admin, admin_before + 1))[admin_before:]
    assert "Bea accepted your invite" in (notice.text or "")
    assert await bot.services.roles.of(bea) == {"adviser": frozenset({"enschede"})}
    help_text = (await say(emu, bea, "/help"))[0].text or ""
    assert "/campaign" in help_text and "/invite" not in help_text

    # The same link a second time, by someone else: refused, nothing granted.
    eve = emu.add_user("Eve", language_code="en").id
    (refusal,) = await say(emu, eve, f"/start {payload}")
    assert "already been used" in (refusal.text or "")
    assert await bot.services.roles.of(eve) == {}


async def test_invite_expires_after_72_hours(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    start = bot.services.now()
    payload = await _invite(emu, admin, "all")
    bot.services.now = lambda: start + timedelta(hours=72, minutes=1)
    cas = emu.add_user("Cas", language_code="en").id
    (reply,) = await say(emu, cas, f"/start {payload}")
    assert "expired" in (reply.text or "")
    assert await bot.services.roles.of(cas) == {}
    (reply,) = await say(emu, cas, "/start inv_madeup")
    assert "not valid" in (reply.text or "")


async def test_roles_revoke_with_confirmation_and_audit(
    emu: BotApiEmulator, bot: BotHarness, admin: int, config: Config, tmp_path: Path
) -> None:
    payload = await _invite(emu, admin, "hengelo")
    dirk = emu.add_user("Dirk", language_code="en").id
    before = len(emu.sent(admin))
    await say(emu, dirk, f"/start {payload}")
    await emu.wait_sent(admin, before + 1)  # the notice
    (roles,) = await say(emu, admin, "/roles")
    assert f"user {admin}" in (roles.text or "") and "Dirk" in (roles.text or "")
    assert "Hengelo" in (roles.text or "")

    await say(emu, admin, "/revoke")
    message = emu.last(admin)
    await press(emu, admin, "Dirk – Adviser")
    assert "Revoke the role of Dirk (Adviser)?" in (
        emu.message(admin, message.message_id).text or ""
    )
    await press(emu, admin, "Yes, revoke")
    assert "revoked" in (emu.message(admin, message.message_id).text or "")
    assert await bot.services.roles.of(dirk) == {}
    (refused,) = await say(emu, dirk, "/campaigns")
    assert "not allowed" in (refused.text or "")

    (log,) = await say(emu, admin, "/audit")
    text = log.text or ""
    for action in ("invite", "role.grant", "role.revoke", "campaigns"):
        assert action in text

    out = tmp_path / "audit.csv"
    path = config_file(tmp_path, config)
    args = ["audit", "export", "--since", "2000-01-01", "--config", path, "--out", str(out)]
    assert await asyncio.to_thread(cli, args) == 0  # the CLI runs its own event loop
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {"invite", "role.grant", "role.revoke"} <= {r["action"] for r in rows}
    refused_rows = [r for r in rows if r["outcome"] == "refused"]
    assert refused_rows and refused_rows[-1]["actor_id"] == str(dirk)


def _menu(emu: BotApiEmulator, user: int, language: str = "en") -> list[str]:
    return [c["command"] for c in emu.commands({"type": "chat", "chat_id": user}, language)]


async def test_staff_get_their_own_command_menu(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    # The admin had not opened a chat at start-up; after a restart the menu is published.
    await say(emu, admin, "/help")
    await bot.restart()
    assert {"invite", "roles", "audit", "campaign", "alert"} <= set(_menu(emu, admin))
    assert "campaign" in _menu(emu, admin, "nl") and "campaign" in _menu(emu, admin, "")

    payload = await _invite(emu, admin, "Enschede")
    bea = emu.add_user("Bea", language_code="en").id
    await say(emu, bea, f"/start {payload}")
    await emu.wait_idle()  # the whole update handled, not only its first reply
    menu = _menu(emu, bea)
    assert "campaign" in menu and "invite" not in menu
    # Residents keep the general private menu only.
    assert "campaign" not in [c["command"] for c in emu.commands({"type": "all_private_chats"})]

    await bot.services.roles.revoke(bea, "adviser")
    assert bot.app is not None
    await refresh_staff_menu(bot.app.bot, bot.services, bea)
    assert _menu(emu, bea) == []


async def test_deep_links_with_the_bots_name(
    emu: BotApiEmulator, bot: BotHarness, admin: int
) -> None:
    """A client that sends `/start@botname <payload>` (typed, or a copied command)."""
    name = bot.app.bot.username  # type: ignore[union-attr]
    payload = await _invite(emu, admin, "Hengelo")
    bea = emu.add_user("Bea", language_code="en").id
    (welcome,) = await say(emu, bea, f"/start@{name} {payload}")
    assert "You are now an adviser for Hengelo" in (welcome.text or "")
    assert await bot.services.roles.of(bea) == {"adviser": frozenset({"hengelo"})}
    cas = emu.add_user("Cas", language_code="en").id
    (wizard,) = await say(emu, cas, f"/start@{name} gem_enschede")
    assert "Which neighbourhood of Enschede?" in (wizard.text or "")
