"""The emulator's API server: tokens, customer-service and template sends, media, menu and QR codes."""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from typing import Any

from aiohttp import web

from tests.fakes.wechat_api.faults import FaultPlan
from tests.fakes.wechat_api.followers import Follower
from tests.fakes.wechat_api.records import ApiCall, Received

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class WeChatEmulator:
    """The WeChat platform as Yimen's server sees it: pushes to it, and the API it calls."""

    push_timeout: float = 5.0
    push_retries: int = 3
    # Pause before pushing again after no answer (a refused connection included); WeChat's own is
    # the 5 seconds it waited.
    retry_delay: float = 0.0
    slow_seconds: float = 6.0
    token_lifetime: int = 7200
    custom_cap: int = 20

    def __init__(self, *, app_id: str = "wx_test_app", app_secret: str = "test-secret", token: str = "test-token",
                 aes_key: str | None = None, seed: int = 7, first_msg_id: int = 10_000_000_001) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.token = token
        self.aes_key = aes_key
        self.url = ""
        self.server_url = ""  # where pushes go: Yimen's /wechat
        self.calls: list[ApiCall] = []
        self.received: list[Received] = []
        # The same, per follower: a benchmark's followers read theirs without scanning everyone's.
        self._received_by: dict[str, list[Received]] = {}
        self._arrivals: dict[str, asyncio.Event] = {}
        self.menus: list[dict[str, Any]] = []
        self.faults = FaultPlan(seed)
        self._tokens: dict[str, float] = {}  # token -> expiry (time.monotonic)
        self._media: dict[str, bytes] = {}
        self._followers: dict[str, Follower] = {}
        self._closed_windows: set[str] = set()
        self._custom_since_last: dict[str, int] = {}
        self._written: set[str] = set()
        # MsgIds are unique across the platform: a database that outlives one emulator needs another start.
        self._ids = itertools.count(first_msg_id)
        self._runner: web.AppRunner | None = None
        self._codes: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> WeChatEmulator:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/cgi-bin/{path:.*}", self._api)
        app.router.add_get("/sns/oauth2/access_token", self._oauth)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        for follower in self._followers.values():
            await follower.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ the test's side

    def follower(self, openid: str) -> Follower:
        if openid not in self._followers:
            self._followers[openid] = Follower(self, openid)
        return self._followers[openid]

    def fail_next(self, outcome: int | str, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` calls (to a path containing ``path``) fail with ``outcome``."""
        self.faults.fail_next(outcome, times, path)

    def close_window(self, openid: str) -> None:
        """48 hours pass since the follower last wrote: customer-service messages get 45015."""
        self._closed_windows.add(openid)

    def expire_tokens(self) -> None:
        """Every access token issued so far expires (42001 when used)."""
        self._tokens = {t: 0.0 for t in self._tokens}

    def add_media(self, data: bytes) -> str:
        media_id = f"media_{secrets.token_hex(6)}"
        self._media[media_id] = data
        return media_id

    def oauth_code(self, openid: str) -> str:
        """The code WeChat's web authorization gives a browser of ``openid`` (snsapi_base)."""
        code = f"CODE_{secrets.token_hex(6)}"
        self._codes[code] = openid
        return code

    def next_msg_id(self) -> int:
        return next(self._ids)

    def follower_wrote(self, openid: str) -> None:
        """A message from the follower reached the platform: the window opens, the cap resets."""
        self._written.add(openid)
        self._closed_windows.discard(openid)
        self._custom_since_last[openid] = 0

    def record(self, received: Received) -> None:
        self.received.append(received)
        self._received_by.setdefault(received.openid, []).append(received)
        arrival = self._arrivals.pop(received.openid, None)
        if arrival is not None:
            arrival.set()

    def received_by(self, openid: str) -> list[Received]:
        return list(self._received_by.get(openid, ()))

    async def wait_received(self, openid: str, count: int, timeout: float) -> None:
        """Until ``openid`` has received more than ``count`` messages; TimeoutError after ``timeout`` s."""
        async with asyncio.timeout(timeout):
            while len(self._received_by.get(openid, ())) <= count:
                await self._arrivals.setdefault(openid, asyncio.Event()).wait()

    def faulted(self) -> list[ApiCall]:
        return [c for c in self.calls if c.outcome not in (0, "slow")]

    # ------------------------------------------------------------------ the API

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/cgi-bin/" + request.match_info["path"]
        query = dict(request.query)
        body = await self._body(request)
        fault = self.faults.take(path)
        if fault == "drop":
            self.calls.append(ApiCall(path, query, body, "drop"))
            assert request.transport is not None
            request.transport.close()
            raise ConnectionResetError("dropped by the emulator")
        if fault == "slow":
            self.calls.append(ApiCall(path, query, body, "slow"))
            await asyncio.sleep(self.slow_seconds)
        elif isinstance(fault, int):
            self.calls.append(ApiCall(path, query, body, fault))
            return _error(fault)
        if path == "/cgi-bin/token":
            return self._issue_token(query, body)
        code = self._check_token(query.get("access_token", ""))
        if code:
            self.calls.append(ApiCall(path, query, body, code))
            return _error(code)
        handler = _ROUTES.get(path)
        if handler is None:
            self.calls.append(ApiCall(path, query, body, 40066))
            return _error(40066)  # invalid url
        answer = handler(self, query, body)
        code = int(answer.get("errcode", 0)) if isinstance(answer, dict) else 0
        self.calls.append(ApiCall(path, query, body, code if fault != "slow" else "slow"))
        if isinstance(answer, bytes):
            return web.Response(body=answer, content_type="image/jpeg")
        return web.json_response(answer)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            media = form.get("media")
            return {"media": media.file.read() if media is not None and hasattr(media, "file") else b""}
        raw = await request.read()
        if not raw:
            return {}
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"raw": raw.decode(errors="replace")}
        return parsed if isinstance(parsed, dict) else {"value": parsed}

    async def _oauth(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        openid = self._codes.pop(query.get("code", ""), None)  # a code is good once
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret or openid is None:
            self.calls.append(ApiCall("/sns/oauth2/access_token", query, {}, 40029))
            return _error(40029)  # invalid code
        self.calls.append(ApiCall("/sns/oauth2/access_token", query, {}, 0))
        return web.json_response({"access_token": "web_token", "expires_in": 7200, "openid": openid,
                                  "scope": "snsapi_base"})

    def _issue_token(self, query: dict[str, str], body: dict[str, Any]) -> web.Response:
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            self.calls.append(ApiCall("/cgi-bin/token", query, body, 40125))
            return _error(40125)  # invalid appsecret
        token = f"AT_{secrets.token_hex(8)}"
        self._tokens[token] = time.monotonic() + self.token_lifetime
        self.calls.append(ApiCall("/cgi-bin/token", query, body, 0))
        return web.json_response({"access_token": token, "expires_in": self.token_lifetime})

    def _check_token(self, token: str) -> int:
        expires = self._tokens.get(token)
        if expires is None:
            return 40001
        if expires <= time.monotonic():
            return 42001
        return 0

    def _custom_send(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        openid = str(body.get("touser") or "")
        if openid not in self._written or openid in self._closed_windows:
            return {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
        if self._custom_since_last.get(openid, 0) >= self.custom_cap:
            return {"errcode": 45047, "errmsg": "out of response count limit"}
        kind = body.get("msgtype")
        if kind == "text":
            if len(str(body["text"]["content"]).encode()) > 2048:
                return {"errcode": 45002, "errmsg": "content size out of limit"}
            self.record(Received(openid, "custom", text=str(body["text"]["content"])))
        elif kind == "msgmenu":
            menu = body["msgmenu"]
            items = tuple((str(i["id"]), str(i["content"])) for i in menu.get("list", []))
            text = "\n".join(filter(None, (menu.get("head_content"), menu.get("tail_content"))))
            self.record(Received(openid, "custom", text=text, menu=items))
        else:
            return {"errcode": 40008, "errmsg": "invalid message type"}
        self._custom_since_last[openid] = self._custom_since_last.get(openid, 0) + 1
        return {"errcode": 0, "errmsg": "ok"}

    def _template_send(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        openid = str(body.get("touser") or "")
        if not body.get("template_id"):
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        self.record(Received(openid, "template", template_id=str(body["template_id"]), data=body.get("data") or {}))
        return {"errcode": 0, "errmsg": "ok", "msgid": self.next_msg_id()}

    def _media_upload(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        media_id = self.add_media(body.get("media") or b"")
        return {"type": query.get("type", "image"), "media_id": media_id, "created_at": int(time.time())}

    def _media_get(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any] | bytes:
        data = self._media.get(query.get("media_id", ""))
        return data if data is not None else {"errcode": 40007, "errmsg": "invalid media_id"}

    def _menu_create(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("button"):
            return {"errcode": 40016, "errmsg": "invalid button size"}
        self.menus.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    def _qrcode_create(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        scene = (body.get("action_info") or {}).get("scene") or {}
        value = scene.get("scene_str") or scene.get("scene_id")
        if not value:
            return {"errcode": 40097, "errmsg": "invalid args"}
        ticket = f"TICKET_{secrets.token_hex(6)}"
        return {"ticket": ticket, "expire_seconds": body.get("expire_seconds", 2592000),
                "url": f"http://weixin.qq.com/q/{value}"}


def _error(code: int) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": f"emulated error {code}"})


_ROUTES = {
    "/cgi-bin/message/custom/send": WeChatEmulator._custom_send,
    "/cgi-bin/message/template/send": WeChatEmulator._template_send,
    "/cgi-bin/media/upload": WeChatEmulator._media_upload,
    "/cgi-bin/media/get": WeChatEmulator._media_get,
    "/cgi-bin/menu/create": WeChatEmulator._menu_create,
    "/cgi-bin/qrcode/create": WeChatEmulator._qrcode_create,
}
