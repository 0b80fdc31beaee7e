"""A local Telegram Bot API server for tests, the demo and the benchmark.

It speaks the real Bot API over HTTP, so the bot runs unchanged with
``ApplicationBuilder().base_url(emu.base_url)``. The methods live in :mod:`bot.sandbox.methods`,
the world they serve (users, groups, what the bot sent) in :mod:`bot.sandbox.world`. The request
path does dict lookups only: the benchmark pushes hundreds of messages a second through it on the
bot's own CPU cores.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, get_args

from aiohttp import web

from bot.sandbox.methods import BotApiMethods
from bot.sandbox.state import (
    ApiError,
    Limits,
    Params,
    SentMessage,
    bad_request,
)

FailureKind = Literal["server_error", "timeout", "bad_request"]


@dataclass
class _Injection:
    chat_id: int | None
    kind: FailureKind
    remaining: int
    description: str
    method: str | None


def _json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(), status=status, content_type="application/json"
    )


def _jsonable(value: Any) -> Any:
    """Control results as JSON: messages with their buttons, dataclasses as dicts."""
    if isinstance(value, SentMessage):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


class BotApiEmulator(BotApiMethods):
    """Bot API server plus the sandbox world; ``async with BotApiEmulator() as emu: ...``."""

    def __init__(
        self,
        token: str = "123456:SANDBOX",  # noqa: S107 - a fake token for a local fake server
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(limits, clock)
        self.token = token
        #: How long a "timeout" failure holds the response back (the client should give up first).
        self.timeout_delay = 5.0
        self._injections: list[_Injection] = []
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0
        self._control: dict[str, Callable[..., Any]] = {
            name: getattr(self, name)
            for name in (
                "add_user",
                "add_group",
                "add_member",
                "set_admin",
                "add_bot_to_group",
                "remove_bot_from_group",
                "block_bot",
                "unblock_bot",
                "deactivate_user",
                "migrate_group",
                "send_text",
                "send_photo",
                "send_location",
                "send_sticker",
                "send_custom",
                "press_button",
                "press",
                "answer",
                "sent",
                "last",
                "commands",
                "description",
                "short_description",
                "wait_sent",
                "wait_answer",
                "wait_edit",
                "wait_idle",
                "fail_next",
                "set_limits",
            )
        }
        self._control["stats"] = lambda: self.stats
        self._control["users"] = lambda: self.users
        self._control["chats"] = lambda: self.chats

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host``; port 0 picks a free one (read it back from ``base_url``)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/control/{action}", self._handle_control)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._closing = False
        self._host = host
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True
        self._signal.notify()
        self._updates_signal.notify()  # long polls answer at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token and the method."""
        return f"http://{self._host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self._port}/file/bot"

    @property
    def control_url(self) -> str:
        """Where :class:`~bot.sandbox.client.SandboxClient` reaches the control routes."""
        return f"http://{self._host}:{self._port}/control"

    # ----------------------------------------------------------------- control extras

    def fail_next(
        self,
        chat_id: int | None,
        kind: FailureKind,
        count: int = 1,
        description: str | None = None,
        *,
        method: str | None = None,
    ) -> None:
        """Make the next ``count`` requests for ``chat_id`` fail.

        ``server_error`` answers 502 Bad Gateway; ``bad_request`` answers 400 with
        ``description``; ``timeout`` serves the request (so a message is really sent) and holds
        the answer back ``timeout_delay`` seconds, like a reply lost on the way. ``chat_id=None``
        matches any request but getUpdates; ``method`` narrows it to one Bot API method.
        """
        if kind not in get_args(FailureKind):
            raise ValueError(f"unknown failure kind {kind!r}")
        self._injections.append(
            _Injection(
                chat_id,
                kind,
                count,
                description or "Bad Request: failure injected by the sandbox",
                method.lower() if method else None,
            )
        )

    def add_control(self, name: str, action: Callable[..., Any]) -> None:
        """One more control action, e.g. a benchmark's own measurements of this process."""
        self._control[name] = action

    def set_limits(self, **changes: Any) -> Limits:
        """Change flood limits at runtime, e.g. ``set_limits(enabled=False)``."""
        self.limits = dataclasses.replace(self.limits, **changes)
        return self.limits

    # ----------------------------------------------------------------- HTTP

    async def _handle_bot(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _json_response(ApiError(404, "Not Found").payload(), 404)
        name, handler = entry
        self.stats.requests[name] += 1
        self._signal.notify()  # a test may wait for a request to arrive (a long poll, say)
        polling = name == "getUpdates"
        if not polling:
            self._in_flight += 1
            self._last_activity = asyncio.get_running_loop().time()
        delay = 0.0
        params = Params({})
        try:
            params = await self._read_params(request)
            injection = self._take_injection(name, params) if self._injections else None
            if injection is not None and injection.kind == "server_error":
                raise ApiError(502, "Bad Gateway")
            if injection is not None and injection.kind == "bad_request":
                raise ApiError(400, injection.description)
            if injection is not None:
                delay = self.timeout_delay
            result = await self._get_updates(params) if polling else handler(params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.code, exc.payload()
            self.stats.errors[exc.code] += 1
            if exc.code == 429:
                self.stats.too_many_requests += 1
        finally:
            if not polling:
                self._in_flight -= 1
            self._signal.notify()
        if not polling or status != 200 or body["result"]:
            outcome = "ok" if status == 200 else f"{status} {body.get('description')}"
            self._calls.append(f"{name} chat_id={params.raw.get('chat_id')} -> {outcome}")
        if delay:
            await asyncio.sleep(delay)
        return _json_response(body, status)

    async def _read_params(self, request: web.Request) -> Params:
        data: dict[str, Any] = dict(request.query) if request.query_string else {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise bad_request("the JSON body must be an object")
                data.update(body)
            else:
                data.update((await request.post()).items())
        return Params(data)

    def _take_injection(self, name: str, params: Params) -> _Injection | None:
        chat_id = params.raw.get("chat_id")
        lowered = name.lower()
        for injection in self._injections:
            if injection.method is None and lowered == "getupdates":
                continue
            if injection.method is not None and injection.method != lowered:
                continue
            if injection.chat_id is not None and str(injection.chat_id) != str(chat_id):
                continue
            injection.remaining -= 1
            if injection.remaining <= 0:
                self._injections.remove(injection)
            return injection
        return None

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file = self._files.get(request.match_info["path"].rsplit("/", 1)[-1])
        if file is None:
            return web.Response(status=404)
        mime = file.mime_type or "application/octet-stream"
        return web.Response(body=file.data, content_type=mime)

    async def _handle_control(self, request: web.Request) -> web.Response:
        action = self._control.get(request.match_info["action"])
        if action is None:
            return _json_response({"ok": False, "error": "unknown control action"}, 404)
        kwargs = await request.json() if request.body_exists else {}
        try:
            result = action(**kwargs)
            if asyncio.iscoroutine(result):
                result = await result
        except (LookupError, ValueError, TypeError, TimeoutError) as exc:
            return _json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 400)
        return _json_response({"ok": True, "result": _jsonable(result)})
