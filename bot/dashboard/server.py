"""The dashboard's web server: aiohttp in the bot's own event loop, started in on_startup and
stopped on shutdown (bot/app.py), listening on `[dashboard] host:port` behind a reverse proxy.

Signing in, two ways, both ending in a session cookie (HttpOnly, SameSite=Strict, Secure when
`public_url` is https):
- `/dashboard` in the chat sends a one-time login link (`login?code=…`, 10 minutes, used once,
  only its hash stored). Opening it shows a button; only pressing it (a POST) uses the code, so
  a link preview or a scanner that fetches the URL cannot spend it.
- The Mini App page (`app`) sends Telegram's initData (bot/dashboard/initdata.py); once it is
  valid the session is opened. Inside Telegram's web clients the page runs in a frame, where a
  SameSite=Strict cookie is not sent: it then offers a one-time link to open in a new tab.

Every other page needs the session and checks the role and scope again (bot/dashboard/access.py).
Every response carries the security headers below; only the Mini App page may be framed, and
only by Telegram's web clients.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.auth import user_roles
from bot.dashboard import access, initdata, login_url
from bot.dashboard.access import COOKIE, Refused
from bot.dashboard.render import environment, template_globals
from bot.i18n import Translator
from bot.services import BotApplication, Services
from bot.storage.dashboard import SESSION_TTL

log = logging.getLogger(__name__)

SERVER: web.AppKey[DashboardServer] = web.AppKey("dashboard")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Telegram Web A and K run at web.telegram.org (/a/, /k/); webk. and webz. are their older hosts.
TELEGRAM_WEB_CLIENTS = (
    "https://web.telegram.org https://webk.telegram.org https://webz.telegram.org"
)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
)
STATIC = Path(__file__).with_name("static")
MAX_UPLOAD = 12 * 1024 * 1024  # a campaign photo (bot/wijkschouw/photos.py takes up to 20 MB)


class DashboardError(RuntimeError):
    """The dashboard cannot listen (a busy port, a host that is not ours): one line for the
    operator (bot/startup.py)."""


class DashboardServer:
    def __init__(self, app: BotApplication) -> None:
        self.app = app
        self.services: Services = app.bot_data["services"]
        self.config = self.services.config.dashboard
        self.prefix = self.config.prefix
        self.env = environment()
        self._runner: web.AppRunner | None = None
        self.port = self.config.port

    # --- lifecycle ---------------------------------------------------------------------------

    def web_app(self) -> web.Application:
        from bot.dashboard import calendar_pages, campaign_pages, insight_pages

        web_app = web.Application(middlewares=[self._headers], client_max_size=MAX_UPLOAD)
        web_app[SERVER] = self
        p = self.prefix
        web_app.add_routes(
            [
                web.get(p + "/", self._home),
                web.get(p + "/app", self._mini_app),
                web.post(p + "/auth/telegram", self._telegram_login),
                web.get(p + "/login", self._login_page),
                web.post(p + "/login", self._login),
                web.post(p + "/logout", self._logout),
                web.static(p + "/static", STATIC),
                *calendar_pages.routes(p),
                *campaign_pages.routes(p),
                *insight_pages.routes(p),
            ]
        )
        return web_app

    async def start(self) -> None:
        runner = web.AppRunner(self.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise DashboardError(
                f"dashboard port {self.config.port} on {self.config.host} cannot be used "
                f"({exc.strerror or exc}); choose another [dashboard] port"
            ) from exc
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info(
            "dashboard at %s (listening on %s:%d)",
            self.config.public_url,
            self.config.host,
            self.port,
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- answers -----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.prefix}{path}"

    def render(
        self,
        _: Translator,
        template: str,
        *,
        status: int = 200,
        who: access.Visitor | None = None,
        **values: Any,
    ) -> web.Response:
        page = self.env.get_template(template).render(
            **template_globals(_),
            url=self.url,
            who=who,
            csrf=who.csrf if who else "",
            admin=bool(who and who.roles.admin),
            **values,
        )
        return web.Response(text=page, content_type="text/html", status=status)

    def translator_for(self, request: web.Request) -> Translator:
        """Before sign-in: the browser's language, else the default."""
        accepted = request.headers.get("Accept-Language", "").split(",")[0].strip()
        i18n = self.services.i18n
        return i18n.get(i18n.pick(accepted or None)).for_web()

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except Refused as refused:
            _ = refused.translator or self.translator_for(request)
            template = "signed_out.html" if refused.status == 401 else "refused.html"
            response = self.render(_, template, status=refused.status, code=refused.status)
        except web.HTTPException as exc:
            if exc.status < 400:
                _secure(exc, request, self.prefix)
                raise
            response = self.render(
                self.translator_for(request), "refused.html", status=exc.status, code=exc.status
            )
        _secure(response, request, self.prefix)
        return response

    # --- signing in --------------------------------------------------------------------------

    async def _home(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(self.url("/calendar"))

    async def _mini_app(self, request: web.Request) -> web.StreamResponse:
        return self.render(self.translator_for(request), "app.html")

    async def _telegram_login(self, request: web.Request) -> web.StreamResponse:
        """initData from the Mini App page: a session, and a one-time link for a new tab."""
        services = self.services
        form = await request.post()
        data = form.get("init_data", "")
        user = initdata.validate(
            data if isinstance(data, str) else "", self.app.bot.token, services.now()
        )
        if isinstance(user, str):
            raise await access.refuse(services, request, None, "dashboard.initdata", user)
        if not (await user_roles(services, user.id)).adviser:
            raise await access.refuse(services, request, user.id, "dashboard.login", "initdata")
        locale = await self._locale(user.id, user.language_code)
        response = web.json_response(
            {
                "next": self.url("/calendar"),
                "login_url": login_url(
                    services.config, await services.dashboard.create_login(user.id, services.now())
                ),
            }
        )
        await self._open_session(response, user.id, locale)
        return response

    async def _login_page(self, request: web.Request) -> web.StreamResponse:
        return self.render(
            self.translator_for(request), "login.html", code=request.query.get("code", "")
        )

    async def _login(self, request: web.Request) -> web.StreamResponse:
        services = self.services
        form = await request.post()
        code = form.get("code", "")
        used = await services.dashboard.use_login(
            code if isinstance(code, str) else "", services.now()
        )
        if isinstance(used, str):
            raise await access.refuse(services, request, None, "dashboard.login", used)
        if not (await user_roles(services, used)).adviser:
            raise await access.refuse(services, request, used, "dashboard.login", "link")
        await services.audit.record(used, "dashboard.login", "link", now=services.now())
        response = web.HTTPSeeOther(self.url("/calendar"))
        await self._open_session(response, used, await self._locale(used, None))
        raise response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        who = await access.visitor(self.services, request, "dashboard.logout")
        await self.services.dashboard.close_session(who.session_id)
        response = web.HTTPSeeOther(self.url("/login"))
        response.del_cookie(COOKIE, path=self.prefix or "/")
        raise response

    async def _locale(self, user_id: int, language_code: str | None) -> str:
        """The language the person chose in the chat, else their Telegram language."""
        chat = await self.services.chats.get(user_id)
        i18n = self.services.i18n
        return chat.locale if chat is not None else i18n.pick(language_code)

    async def _open_session(self, response: web.StreamResponse, user_id: int, locale: str) -> None:
        session_id = await self.services.dashboard.open_session(
            user_id, locale, self.services.now()
        )
        response.set_cookie(
            COOKIE,
            session_id,
            max_age=int(SESSION_TTL.total_seconds()),
            path=self.prefix or "/",
            secure=self.config.secure,
            httponly=True,
            samesite="Strict",
        )


def _secure(response: web.StreamResponse, request: web.Request, prefix: str) -> None:
    """The security headers of every answer."""
    framed = request.path == f"{prefix}/app"
    response.headers["Content-Security-Policy"] = CSP.format(
        ancestors=f"'self' {TELEGRAM_WEB_CLIENTS}" if framed else "'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Login links carry their code in the URL: never send it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not request.path.startswith(f"{prefix}/static/"):
        response.headers["Cache-Control"] = "no-store"
