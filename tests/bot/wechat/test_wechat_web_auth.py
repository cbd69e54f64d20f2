"""The web chat opened inside WeChat joins the follower's resident (snsapi_base)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from backend.db.models import ChannelIdentityRow
from bot.wechat.web_auth import WebAuthorization
from tests.bot import casework


async def _resident_of(database, channel: str, external_id: str) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.scalar(select(ChannelIdentityRow.resident_id).where(
            ChannelIdentityRow.channel == channel, ChannelIdentityRow.external_id == external_id))


async def test_the_web_chat_inside_wechat_is_the_followers(platform, channel, database, wechat_conversations,
                                                           config):
    resident, _ = await casework.applied(wechat_conversations, database, "wechat", "o_browser", locale="zh_CN")
    app = web.Application()
    WebAuthorization(wechat_conversations, channel.api, secret=config.secret_key).add_routes(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.get(server.make_url("/chat/wechat"), allow_redirects=False) as answer:
                assert answer.status == 302
                target = urlsplit(answer.headers["Location"])
            query = parse_qs(target.query)
            assert target.netloc == "open.weixin.qq.com" and query["scope"] == ["snsapi_base"]
            state = query["state"][0]
            # Another browser's state is refused.
            back = {"code": platform.oauth_code("o_browser"), "state": "forged"}
            async with browser.get(server.make_url("/chat/wechat"), params=back, allow_redirects=False) as answer:
                assert answer.status == 403
            back = {"code": platform.oauth_code("o_browser"), "state": state}
            async with browser.get(server.make_url("/chat/wechat"), params=back, allow_redirects=False) as answer:
                assert (answer.status, answer.headers["Location"]) == (302, "/chat")
            web_id = next(c.value for c in browser.cookie_jar if c.key == "yimen_chat").partition(".")[0]
        assert await _resident_of(database, "web", web_id) == resident
    finally:
        await server.close()
