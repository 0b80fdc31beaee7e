"""Who may enter the dashboard and what every answer carries: one-time links, Mini App initData,
sessions, the role and scope checked at every request, CSRF on every form, security headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import aiohttp

from bot.dashboard import initdata
from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import adviser, say
from tests.dashboard.conftest import base, csrf_of, login_link, sign_in
from tests.harness import BotHarness

TOKEN = "123456:TEST-token"


def signed(fields: dict[str, str], token: str = TOKEN) -> str:
    """initData signed as Telegram documents it, computed here independently of the bot."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def user_fields(user_id: int, at: datetime) -> dict[str, str]:
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Anna", "language_code": "nl"}),
        "auth_date": str(int(at.timestamp())),
    }


def cookies(web: aiohttp.ClientSession) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in web.cookie_jar}


NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_initdata_is_checked_as_telegram_documents() -> None:
    good = signed(user_fields(42, NOW - timedelta(minutes=5)))
    user = initdata.validate(good, TOKEN, NOW)
    assert isinstance(user, initdata.WebAppUser) and user.id == 42 and user.language_code == "nl"
    # Another bot's token, a changed field, a missing or repeated hash, an old auth_date.
    assert initdata.validate(good, "654321:OTHER", NOW) == "signature"
    assert initdata.validate(good.replace("Anna", "Bram"), TOKEN, NOW) == "signature"
    assert initdata.validate(re.sub(r"&hash=\w+", "", good), TOKEN, NOW) == "malformed"
    assert initdata.validate(good + "&hash=00", TOKEN, NOW) == "malformed"
    old = signed(user_fields(42, NOW - timedelta(hours=1, seconds=1)))
    assert initdata.validate(old, TOKEN, NOW) == "expired"
    assert initdata.validate("", TOKEN, NOW) == "malformed"
    assert initdata.validate("not a query", TOKEN, NOW) == "malformed"


def test_initdata_with_a_field_the_bot_does_not_know_still_verifies() -> None:
    """Every received field is signed, also ones added in later Bot API versions."""
    fields = user_fields(7, NOW) | {"chat_instance": "-1", "signature": "abc"}
    assert isinstance(initdata.validate(signed(fields), TOKEN, NOW), initdata.WebAppUser)


async def test_one_time_link_opens_a_session_once(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    link = await login_link(emu, admin)
    reply = emu.last(admin)
    assert reply.params["link_preview_options"]["is_disabled"] is True
    web_app = reply.reply_markup["inline_keyboard"][0][0]["web_app"]["url"]
    assert web_app == base(bot) + "/app"
    # Opening the link spends nothing (a link preview or a scanner may fetch it).
    async with web.get(link) as page:
        assert page.status == 200
        code = re.search(r'name="code" value="([^"]+)"', await page.text())
    assert code
    async with web.get(base(bot) + "/calendar") as page:
        assert page.status == 401
    async with web.post(base(bot) + "/login", data={"code": code.group(1)}) as answer:
        assert answer.status == 200 and str(answer.url).endswith("/calendar")
        cookie = answer.history[0].headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # http://127.0.0.1: Secure only when public_url is https
    session_id = cookies(web)["buurtwacht_session"]
    rows = await bot.services.db.fetchall("SELECT id_hash FROM dashboard_sessions")
    assert [r["id_hash"] for r in rows] == [hashlib.sha256(session_id.encode()).hexdigest()]
    stored = await bot.services.db.fetchval("SELECT COUNT(*) FROM dashboard_login_codes")
    assert stored == 1 and code.group(1) not in str(
        await bot.services.db.fetchall("SELECT * FROM dashboard_login_codes")
    )
    async with (
        aiohttp.ClientSession() as other,
        other.post(base(bot) + "/login", data={"code": code.group(1)}) as again,
    ):
        assert again.status == 403  # used once


async def test_a_link_expires_after_ten_minutes(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    link = await login_link(emu, admin)
    code = link.split("code=")[1]
    later = datetime.now(UTC) + timedelta(minutes=10, seconds=1)
    bot.services.now = lambda: later
    async with web.post(base(bot) + "/login", data={"code": code}) as answer:
        assert answer.status == 403
    refused = await bot.services.db.fetchall(
        "SELECT action, target FROM audit_log WHERE outcome = 'refused'"
    )
    assert [(r["action"], r["target"]) for r in refused] == [("dashboard.login", "expired")]


async def test_a_resident_gets_no_link_and_a_revoked_adviser_cannot_use_one(
    emu: BotApiEmulator, bot: BotHarness, web: aiohttp.ClientSession
) -> None:
    resident = emu.add_user("Rik", language_code="en").id
    (reply,) = await say(emu, resident, "/dashboard")
    assert reply.text == "Sorry, you are not allowed to do that."
    assert await bot.services.db.fetchval("SELECT COUNT(*) FROM dashboard_login_codes") == 0
    eva = await adviser(emu, bot, "Eva", "enschede")
    link = await login_link(emu, eva)
    await bot.services.roles.revoke(eva, "adviser")
    async with web.get(link) as page:
        code = re.search(r'name="code" value="([^"]+)"', await page.text())
    assert code
    async with web.post(base(bot) + "/login", data={"code": code.group(1)}) as answer:
        assert answer.status == 403
    assert "buurtwacht_session" not in cookies(web)


async def test_mini_app_initdata_signs_in_and_a_forged_one_is_refused(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    now = datetime.now(UTC)
    good = signed(user_fields(admin, now), emu.token)
    async with web.get(base(bot) + "/app") as page:
        assert (
            "frame-ancestors 'self' https://web.telegram.org"
            in page.headers["Content-Security-Policy"]
        )
    forged = signed(user_fields(admin, now), "999:NOT-THE-BOT")
    async with web.post(base(bot) + "/auth/telegram", data={"init_data": forged}) as answer:
        assert answer.status == 403
    resident = emu.add_user("Rik").id
    as_resident = signed(user_fields(resident, now), emu.token)
    async with web.post(base(bot) + "/auth/telegram", data={"init_data": as_resident}) as answer:
        assert answer.status == 403
    assert "buurtwacht_session" not in cookies(web)
    async with web.post(base(bot) + "/auth/telegram", data={"init_data": good}) as answer:
        assert answer.status == 200
        reply = await answer.json()
    assert reply["next"] == "/dashboard/calendar" and "/login?code=" in reply["login_url"]
    async with web.get(base(bot) + "/calendar") as page:
        assert page.status == 200
    refused = await bot.services.db.fetchall(
        "SELECT action, target, actor_id FROM audit_log WHERE outcome = 'refused' ORDER BY id"
    )
    assert [(r["action"], r["target"], r["actor_id"]) for r in refused] == [
        ("dashboard.initdata", "signature", None),
        ("dashboard.login", "initdata", resident),
    ]


async def test_scope_is_checked_at_every_request(
    emu: BotApiEmulator, bot: BotHarness, web: aiohttp.ClientSession
) -> None:
    eva = await adviser(emu, bot, "Eva", "enschede")
    await sign_in(web, emu, eva)
    async with web.get(base(bot) + "/calendar?m=enschede") as page:
        assert page.status == 200
    async with web.get(base(bot) + "/calendar?m=hengelo") as page:
        assert page.status == 403
        assert "not allowed" in await page.text()
    async with web.get(base(bot) + "/insight?m=enschede&m=hengelo") as page:
        assert page.status == 403
    async with web.get(base(bot) + "/audience?m=hengelo") as page:
        assert page.status == 403
    # The role goes: the very next request is refused, with the session still in the cookie.
    await bot.services.roles.revoke(eva, "adviser")
    async with web.get(base(bot) + "/calendar?m=enschede") as page:
        assert page.status == 403
    refused = await bot.services.db.fetchall(
        "SELECT action, target FROM audit_log WHERE outcome = 'refused' AND actor_id = ?", (eva,)
    )
    assert ("dashboard.calendar", "hengelo") in [(r["action"], r["target"]) for r in refused]


async def test_every_form_needs_the_session_csrf_token(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    await sign_in(web, emu, admin)
    token = await csrf_of(web, base(bot) + "/campaigns/new")
    fields = {"action": "save", "m": "enschede", "text_nl": "Hallo", "moment": ""}
    async with web.post(base(bot) + "/campaigns/draft", data=fields) as answer:
        assert answer.status == 403
    async with web.post(base(bot) + "/campaigns/draft", data=fields | {"csrf": "0" * 64}) as a:
        assert a.status == 403
    assert await bot.services.db.fetchval("SELECT COUNT(*) FROM campaign_drafts") == 0
    async with web.post(base(bot) + "/campaigns/draft", data=fields | {"csrf": token}) as a:
        assert a.status == 200 and "/campaigns/draft/" in str(a.url)
    assert await bot.services.db.fetchval("SELECT COUNT(*) FROM campaign_drafts") == 1


async def test_security_headers_on_every_answer(
    emu: BotApiEmulator, bot: BotHarness, admin: int, web: aiohttp.ClientSession
) -> None:
    await sign_in(web, emu, admin)
    for path in ("/calendar", "/campaigns", "/insight", "/login", "/nothing-here"):
        async with web.get(base(bot) + path) as page:
            csp = page.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
            assert "frame-ancestors 'none'" in csp, path
            assert page.headers["X-Content-Type-Options"] == "nosniff"
            assert page.headers["Referrer-Policy"] == "no-referrer"
            assert page.headers["Cache-Control"] == "no-store"
