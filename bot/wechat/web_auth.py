"""The web chat opened inside WeChat, bound to the follower (web authorization, snsapi_base).

``GET /chat/wechat`` (under the web chat's path, where its cookie is sent) sends the browser to
WeChat's authorization (silent with snsapi_base: nothing to approve), which returns it with a
``code``; the code is exchanged for the follower's openid, and the browser's web chat identity
joins the resident of that openid, as ``/link`` would. The ``state`` sent along is the browser's
form token, so a code from another browser's authorization is refused. A web identity with an
application of its own is not merged (a caseworker's decision), as with ``/link``. Then the
browser goes on to the web chat.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from backend.serving import served_over_https
from bot.runner import Conversations
from bot.web_chat.identity import COOKIE, COOKIE_MAX_AGE, WebIdentities
from bot.wechat.api import WeChatApi, WeChatError
from bot.wechat.sender import CHANNEL

log = logging.getLogger(__name__)
PATH = "/chat/wechat"
WEB_CHANNEL = "web"  # bot/web_chat/transcript.py
AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"


class WebAuthorization:
    def __init__(self, conversations: Conversations, api: WeChatApi, *, secret: bytes,
                 chat_path: str = "/chat") -> None:
        self.conversations = conversations
        self.api = api
        self.identities = WebIdentities(secret)
        self.chat_path = chat_path

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.open)

    async def open(self, request: web.Request) -> web.Response:
        web_id = self.identities.read(request.cookies.get(COOKIE))
        code = request.query.get("code")
        if web_id is None or code is None:
            web_id = web_id or self.identities.new()
            own_url = str(request.url.with_query({}))
            target = (f"{AUTHORIZE}?appid={quote(self.api.config.app_id)}&redirect_uri={quote(own_url, safe='')}"
                      f"&response_type=code&scope=snsapi_base&state={self.identities.form_token(web_id)}"
                      "#wechat_redirect")
            return self._go(target, web_id, request)
        if not self.identities.form_token_ok(web_id, request.query.get("state")):
            return web.Response(status=403, text="state does not match this browser")
        try:
            openid = await self.api.openid_of(code)
        except (WeChatError, OSError, TimeoutError) as error:
            log.warning("wechat web authorization failed: %s", getattr(error, "code", type(error).__name__))
            return self._go(self.chat_path, web_id, request)
        await self._bind(web_id, openid)
        return self._go(self.chat_path, web_id, request)

    async def _bind(self, web_id: str, openid: str) -> None:
        now = self.conversations.clock()
        async with self.conversations.database.unit_of_work() as uow:
            follower = await uow.residents.identify(CHANNEL, openid, now=now)
            await uow.residents.identify(WEB_CHANNEL, web_id, now=now)
            moved = await uow.residents.move_identity(WEB_CHANNEL, web_id, to_resident=follower.id)
            await uow.commit()
        if moved.outcome == "refused":
            log.info("a web chat with an application of its own was not bound to a wechat follower")
        for document in moved.discarded:
            self.conversations.storage.delete(document.storage_key)

    def _go(self, location: str, web_id: str, request: web.Request) -> web.Response:
        response = web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})
        response.set_cookie(COOKIE, self.identities.cookie(web_id), max_age=COOKIE_MAX_AGE, httponly=True,
                            samesite="Lax", secure=served_over_https(request), path="/chat")
        return response
