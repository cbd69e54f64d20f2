"""A follower of the account: what they send is pushed to Yimen's server as WeChat pushes it."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import aiohttp
import xmltodict
from wechatpy.crypto import WeChatCrypto

from tests.fakes.wechat_api.records import Received

if TYPE_CHECKING:
    from tests.fakes.wechat_api.server import WeChatEmulator


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to push a message: the HTTP status (0: no answer in time) and the body."""

    msg_key: str
    attempt: int
    status: int
    body: str
    seconds: float


def sign(token: str, *parts: str) -> str:
    return hashlib.sha1("".join(sorted([token, *parts])).encode()).hexdigest()


class Follower:
    def __init__(self, platform: WeChatEmulator, openid: str) -> None:
        self.platform = platform
        self.openid = openid
        self.deliveries: list[Delivery] = []
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def received(self) -> list[Received]:
        return self.platform.received_by(self.openid)

    def texts(self) -> list[str]:
        """What reached the follower as text, in order (templates as their data's values)."""
        return [r.text if r.kind != "template" else " | ".join(str(v.get("value", "")) for v in r.data.values())
                for r in self.received()]

    # ------------------------------------------------------------------ messages

    async def send_text(self, text: str, *, menu_id: str | None = None) -> list[Delivery]:
        extra = f"<bizmsgmenuid>{escape(menu_id)}</bizmsgmenuid>" if menu_id is not None else ""
        return await self._message("text", f"<Content><![CDATA[{text}]]></Content>{extra}")

    async def tap_menu(self, menu_id: str, content: str) -> list[Delivery]:
        """Tap an item of a msgmenu: WeChat sends its text with its id."""
        return await self.send_text(content, menu_id=menu_id)

    async def send_voice(self, recognition: str) -> list[Delivery]:
        media = self.platform.add_media(b"#!AMR\n")
        return await self._message("voice", f"<MediaId><![CDATA[{media}]]></MediaId><Format><![CDATA[amr]]></Format>"
                                            f"<Recognition><![CDATA[{recognition}]]></Recognition>")

    async def send_image(self, data: bytes) -> list[Delivery]:
        media = self.platform.add_media(data)
        return await self._message("image", f"<PicUrl><![CDATA[http://mmbiz.example/{media}]]></PicUrl>"
                                            f"<MediaId><![CDATA[{media}]]></MediaId>")

    async def send_location(self) -> list[Delivery]:
        return await self._message("location", "<Location_X>23.13</Location_X><Location_Y>113.26</Location_Y>"
                                               "<Scale>20</Scale><Label><![CDATA[广州]]></Label>")

    async def send_link(self) -> list[Delivery]:
        return await self._message("link", "<Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description>"
                                           "<Url><![CDATA[http://example.org]]></Url>")

    async def subscribe(self, scene: str | None = None) -> list[Delivery]:
        key = f"<EventKey><![CDATA[qrscene_{scene}]]></EventKey>" if scene else ""
        return await self._event("subscribe", key)

    async def scan(self, scene: str) -> list[Delivery]:
        return await self._event("SCAN", f"<EventKey><![CDATA[{scene}]]></EventKey>")

    async def click(self, key: str) -> list[Delivery]:
        return await self._event("CLICK", f"<EventKey><![CDATA[{key}]]></EventKey>")

    # ------------------------------------------------------------------ pushing

    async def _message(self, kind: str, fields: str) -> list[Delivery]:
        msg_id = self.platform.next_msg_id()
        xml = self._xml(kind, fields + f"<MsgId>{msg_id}</MsgId>", int(time.time()))
        return await self.push(xml, str(msg_id))

    async def _event(self, event: str, fields: str) -> list[Delivery]:
        now = int(time.time())
        xml = self._xml("event", f"<Event><![CDATA[{event}]]></Event>{fields}", now)
        return await self.push(xml, f"{event}:{now}")

    def _xml(self, kind: str, fields: str, created: int) -> str:
        return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
                f"<FromUserName><![CDATA[{self.openid}]]></FromUserName><CreateTime>{created}</CreateTime>"
                f"<MsgType><![CDATA[{kind}]]></MsgType>{fields}</xml>")

    def signed(self, xml: str, *, timestamp: int | None = None) -> tuple[dict[str, str], str]:
        """The query and body of one push of ``xml`` (encrypted in safe mode)."""
        platform = self.platform
        stamp, nonce = str(timestamp if timestamp is not None else int(time.time())), secrets.token_hex(5)
        query = {"signature": sign(platform.token, stamp, nonce), "timestamp": stamp, "nonce": nonce,
                 "openid": self.openid}
        if platform.aes_key is None:
            return query, xml
        crypto = WeChatCrypto(platform.token, platform.aes_key, platform.app_id)
        envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, stamp))["xml"]
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        body = (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        return query, body

    async def push(self, xml: str, key: str) -> list[Delivery]:
        """Push until answered in time, as WeChat does: the first try and ``push_retries`` more."""
        platform = self.platform
        platform.follower_wrote(self.openid)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        done: list[Delivery] = []
        loop = asyncio.get_running_loop()
        for attempt in range(1 + platform.push_retries):
            if attempt:
                await asyncio.sleep(platform.retry_delay)
            query, body = self.signed(xml)
            started = loop.time()
            try:
                async with self._session.post(platform.server_url, params=query, data=body.encode(),
                                              timeout=aiohttp.ClientTimeout(total=platform.push_timeout)) as answer:
                    text = await answer.text()
                    status = answer.status
            except (TimeoutError, aiohttp.ClientError):
                done.append(Delivery(key, attempt, 0, "", loop.time() - started))
                continue
            done.append(Delivery(key, attempt, status, text, loop.time() - started))
            if status == 200:
                self._passive(text, query)
            break
        self.deliveries += done
        return done

    def _passive(self, text: str, query: dict[str, str]) -> None:
        if not text.strip() or text.strip() == "success":
            return
        reply = xmltodict.parse(text)["xml"]
        if "Encrypt" in reply:
            assert self.platform.aes_key is not None
            crypto = WeChatCrypto(self.platform.token, self.platform.aes_key, self.platform.app_id)
            reply = xmltodict.parse(crypto.decrypt_message(text, reply["MsgSignature"], reply["TimeStamp"],
                                                           reply["Nonce"]))["xml"]
        assert reply["ToUserName"] == self.openid, "a passive reply goes back to the sender"
        self.platform.record(Received(self.openid, "passive", text=str(reply.get("Content") or "")))
