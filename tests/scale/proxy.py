"""A small round-robin load balancer for Telegram's webhook calls, as in front of several bot processes."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from aiohttp import ClientConnectorError, ClientError, ClientSession, ClientTimeout, web

# Headers a proxy passes on; hop-by-hop ones (Connection, Transfer-Encoding …) it must not.
FORWARDED = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinProxy:
    """Each request goes to the next backend in turn.

    A backend that refuses the connection (down, restarting) is skipped for the next, as a load
    balancer's passive health check does; a request that broke after it was sent is answered 502
    and not sent elsewhere (it may have been handled), so Telegram sends the update again.
    """

    def __init__(self, backends: Sequence[str], timeout: float = 60.0) -> None:
        if not backends:
            raise ValueError("the proxy needs at least one backend")
        self.backends = list(backends)
        self.url = ""
        self.forwarded: dict[str, int] = dict.fromkeys(self.backends, 0)
        self.refused = 0
        self.broken = 0
        self._turn = itertools.cycle(range(len(self.backends)))
        self._timeout = ClientTimeout(total=timeout)
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._session = ClientSession(timeout=self._timeout)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
        self._runner = self._session = None

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
        first = next(self._turn)
        for offset in range(len(self.backends)):
            backend = self.backends[(first + offset) % len(self.backends)]
            try:
                async with self._session.request(
                    request.method, backend + request.rel_url.path_qs, data=body, headers=headers
                ) as response:
                    payload = await response.read()
                    self.forwarded[backend] += 1
                    return web.Response(status=response.status, body=payload,
                                        content_type=response.content_type)
            except ClientConnectorError:
                self.refused += 1  # never reached it: the next backend may take it
            except (ClientError, TimeoutError):
                self.broken += 1
                return web.Response(status=502, text="backend failed")
        return web.Response(status=502, text="no backend")
