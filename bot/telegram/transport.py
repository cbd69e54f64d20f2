"""python-telegram-bot's HTTP requests made with aiohttp instead of httpx.

PTB's default ``HTTPXRequest`` goes through httpx and httpcore, whose connection pool is walked
on every request and which sends headers and body in separate writes; the same sendMessage costs
the bot's process several times the CPU it costs through aiohttp. This backend plugs into PTB's
documented extension point, ``telegram.request.BaseRequest``, and keeps HTTPXRequest's defaults,
form encoding and error mapping; only the timeouts differ a little, as aiohttp has other ones.
"""

from __future__ import annotations

import re
import urllib.request
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:  # PTB's own annotation (a private module): for type checkers only
    from telegram._utils.types import ODVInput


# Bot API URLs are .../bot{token}/{method} and .../file/bot{token}/{path}.
_TOKEN_IN_URL = re.compile(r"/bot([^/]+)/")


def _described(error: Exception, url: str) -> str:
    """The error's class (telling what happened when the message is empty, as HTTPXRequest does)
    and message, without the bot token that some aiohttp messages quote in the URL."""
    text = f"aiohttp.{type(error).__name__}: {error}"
    token = _TOKEN_IN_URL.search(url)
    return text.replace(token.group(1), "<token>") if token else text


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout the caller gave, or this request's own when they left it at DEFAULT_NONE."""
    return default if value is BaseRequest.DEFAULT_NONE else cast("float | None", value)


def _total(*parts: float | None) -> float | None:
    """The sum of timeouts, or None (no limit) when any of them is None."""
    return None if any(part is None for part in parts) else sum(parts)  # type: ignore[arg-type]


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession``, opened by ``initialize`` and closed by ``shutdown``.

    Args:
        connection_pool_size: at most this many connections at once (PTB: 256 for the bot, 1
            for getUpdates); a request beyond them waits for one, up to ``pool_timeout``.
        read_timeout: seconds to wait for the answer (PTB adds the long-poll time for getUpdates).
        write_timeout: seconds for sending the request; ``media_write_timeout`` when it uploads files.
        connect_timeout: seconds to open a connection.
        pool_timeout: seconds to wait for a free connection (aiohttp has one limit for waiting
            and connecting: it gets ``pool_timeout + connect_timeout``).
        media_write_timeout: ``write_timeout`` of requests that upload files.

    None for a timeout means no limit; the defaults are HTTPXRequest's.
    """

    __slots__ = ("_pool_size", "_read", "_write", "_connect", "_pool", "_media_write", "_session", "_proxies")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; Bot.get_updates adds its long-poll time to it."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown, as HTTPXRequest does)."""
        # The proxy of the environment (HTTPS_PROXY, ALL_PROXY ...), as httpx takes it, read once:
        # aiohttp's own trust_env would look it up again, in a thread, on every request.
        self._proxies = urllib.request.getproxies()
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # The Bot API sets no cookies; a real jar would still be consulted on every request.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def proxy_for(self, url: str) -> str | None:
        """The environment's proxy for ``url``, unless NO_PROXY exempts its host."""
        if not self._proxies:
            return None
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
            return None
        return proxy

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one request; return the HTTP status and the body, whatever the status.

        Raises:
            TimedOut: a timeout passed (the request may or may not have reached Telegram).
            NetworkError: the connection failed or was closed before the whole answer came.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        fields = request_data.json_parameters if request_data else None
        files = request_data.multipart_data if request_data else None
        # DEFAULT_NONE: the caller did not say, so this request's own defaults apply.
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)

        # As HTTPXRequest: every parameter a form field (JSON-encoded unless a string), and no
        # body at all without parameters.
        data: aiohttp.FormData | dict[str, str] | None = fields or None
        if files:
            # Telegram takes file names as raw UTF-8; aiohttp would percent-encode them by default.
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime_type)
            data = form

        # aiohttp's timeouts are not httpx's. Its `connect` covers waiting for a free connection
        # and opening one, so it gets both; `sock_read` starts once the request is sent. It has no
        # write timeout, so the whole exchange gets the sum of all four: a stalled upload ends
        # instead of holding its connection for ever (a huge, slow but moving one may end too,
        # where httpx, timing each write, would let it finish).
        timeout = aiohttp.ClientTimeout(
            total=_total(pool, connect, write, read),
            connect=_total(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        try:
            # No redirects, as httpx by default: the Bot API does not send them.
            async with self._session.request(
                method, url, data=data, timeout=timeout, allow_redirects=False, proxy=self.proxy_for(url)
            ) as response:
                return response.status, await response.read()
        # Both "from None": a chained aiohttp error would carry the token into logged tracebacks.
        except TimeoutError as error:  # aiohttp's timeout errors are ClientErrors too: this goes first
            raise TimedOut(f"Timed out ({_described(error, url)})") from None
        except aiohttp.ClientError as error:
            raise NetworkError(_described(error, url)) from None
