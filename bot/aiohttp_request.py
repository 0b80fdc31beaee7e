"""PTB's HTTP layer on aiohttp: every Bot API request of the bot goes through `AiohttpRequest`.

Why not PTB's own `HTTPXRequest`: measured in bench/fanout.py against the local emulator, httpx
(with httpcore, h11 and anyio underneath, all pure Python) costs 0.9-2.0 ms of CPU per
`send_message`, growing with the number of requests in flight (httpcore scans its pool on every
request); PTB on aiohttp (C-accelerated HTTP parser, a per-host pool) costs 0.25-0.4 ms, whatever
the concurrency. That is what lets one core send Telegram's 1000 paid broadcasts a second.

PTB's `BaseRequest` contract is kept: `do_request` returns the status and the body, and
`BaseRequest` itself maps Telegram's answers to `RetryAfter`, `ChatMigrated`, `Forbidden`,
`BadRequest`, `InvalidToken` and `NetworkError`; this class maps what the transport raises:
timeouts to `TimedOut`, every other client error to `NetworkError` (without the URL's path, which
holds the token: the reason of a failed delivery is stored).

- Parameters go as one JSON body (`RequestData.parameters`, as PTB's docs suggest for a custom
  encoder; Telegram accepts `application/json` for everything but uploads); uploads go as
  `multipart/form-data` with the other parameters as form fields, like `HTTPXRequest`.
- Timeouts as in `HTTPXRequest`, as far as aiohttp can tell them apart: `connect_timeout` for a
  new connection; `pool_timeout` + `connect_timeout` for getting one, pooled or new (aiohttp
  times both phases together); `read_timeout` between chunks of the answer; and, since aiohttp
  has no write timeout, a total deadline of all of them together, so that a stalled upload
  cannot hang forever (`media_write_timeout` for uploads). `None` means no limit, as in PTB.
- Keep-alive HTTP/1.1 connections, at most `connection_pool_size` of them.
- Proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) are honoured like httpx does,
  looked up once per host (aiohttp's own `trust_env` would read ~/.netrc on every request).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json"}


def _seconds(value: Any, default: float | None) -> float | None:
    """A timeout argument of `do_request`: PTB's DEFAULT_NONE means "the instance's default"."""
    return default if value is BaseRequest.DEFAULT_NONE else value


def _total(*parts: float | None) -> float | None:
    """The whole request's deadline: the sum of its phases, none when any phase has none."""
    return None if any(part is None for part in parts) else sum(p for p in parts if p is not None)


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession`, created in `initialize`."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_proxy",
        "_read_timeout",
        "_session",
        "_timeouts",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._proxies: dict[tuple[str, str], str | None] = {}
        # One ClientTimeout per combination of timeouts: nearly every request uses the defaults.
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        upload = request_data is not None and request_data.contains_files
        timeout = self._timeout(
            _seconds(read_timeout, self._read_timeout),
            _seconds(write_timeout, self._media_write_timeout if upload else self._write_timeout),
            _seconds(connect_timeout, self._connect_timeout),
            _seconds(pool_timeout, self._pool_timeout),
        )
        body: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None and upload:
            body = self._form(request_data)
        elif request_data is not None:
            body = json.dumps(request_data.parameters).encode()
            headers = JSON_HEADERS
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's own timeout errors are TimeoutErrors too
            raise TimedOut(f"Timed out ({type(exc).__name__})") from exc
        except aiohttp.ClientError as exc:
            # The path holds the bot's token; some errors (an invalid URL) quote it.
            text = str(exc).replace(urlsplit(url).path, "/[path]")
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {text}") from exc

    def _timeout(
        self, read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        key = (read, write, connect, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:
            if len(self._timeouts) > 64:  # callers passing ever new values: stay bounded
                self._timeouts.clear()
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=_total(read, write, connect, pool),
                connect=_total(connect, pool),
                sock_connect=connect,
                sock_read=read,
            )
        return timeout

    @staticmethod
    def _form(request_data: RequestData) -> aiohttp.FormData:
        """An upload: the files as parts, every other parameter as a form field."""
        form = aiohttp.FormData(quote_fields=False)
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form

    def _proxy_for(self, url: str) -> str | None:
        """The explicit proxy, else the environment's for this URL's scheme and host."""
        if self._proxy is not None:
            return self._proxy
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxy = urllib.request.getproxies().get(parts.scheme)
            if proxy and urllib.request.proxy_bypass(key[1]):
                proxy = None
            self._proxies[key] = proxy or None
        return self._proxies[key]
