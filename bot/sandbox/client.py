"""Drive an emulator in another process through its ``/control`` routes.

The crash test runs the bot in a subprocess and needs to act as users and read what the bot sent;
this client mirrors the emulator's control methods by name. Results are plain JSON: messages come
as dicts (see ``SentMessage.to_json``), with file bytes base64-encoded.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import aiohttp


class SandboxError(RuntimeError):
    """The emulator refused a control call (unknown user, timeout while waiting, ...)."""


class SandboxClient:
    """``async with SandboxClient(emu.control_url) as c: await c.call("send_text", ...)``."""

    def __init__(self, control_url: str, *, connections: int = 100) -> None:
        """`connections`: control calls at once (aiohttp's default 100; 0 for no limit, e.g.
        for one waiting call per user)."""
        self.control_url = control_url.rstrip("/")
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.connections))

    async def __aenter__(self) -> Self:
        self._session = self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, action: str, **params: Any) -> Any:
        """Call the control method ``action`` with keyword arguments; return its JSON result."""
        if self._session is None:
            self._session = self._open()
        async with self._session.post(f"{self.control_url}/{action}", json=params) as response:
            body = await response.json()
        if not body.get("ok"):
            raise SandboxError(f"{action}: {body.get('error')}")
        return body["result"]

    async def add_user(self, first_name: str, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("add_user", first_name=first_name, **options)
        return result

    async def send_text(self, user_id: int, chat_id: int, text: str) -> int:
        return int(await self.call("send_text", user_id=user_id, chat_id=chat_id, text=text))

    async def press(self, user_id: int, chat_id: int, message_id: int, button: str | int) -> str:
        return str(
            await self.call(
                "press",
                user_id=user_id,
                chat_id=chat_id,
                message_id=message_id,
                label_or_index=button,
            )
        )

    async def sent(self, chat_id: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call("sent", chat_id=chat_id)
        return result

    async def wait_sent(
        self,
        chat_id: int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call(
            "wait_sent", chat_id=chat_id, count=count, timeout=timeout
        )
        return result

    async def wait_idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.call("wait_idle", timeout=timeout)
