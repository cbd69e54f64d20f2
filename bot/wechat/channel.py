"""The WeChat Official Account at ``/wechat``: the platform's pushes in, the replies out.

- ``GET /wechat``: the platform checks the server URL (``signature``, ``timestamp``, ``nonce``,
  ``echostr``); the echo comes back only when the signature is the token's.
- ``POST /wechat``: a follower's message or event, plain or in safe mode (``encrypt_type=aes``,
  ``msg_signature``). A bad signature gets 403, and so does a timestamp too far from now. The
  turn runs as on any channel, its replies stored in the outbox; when it finishes inside
  ``reply_window`` the replies go back as the passive reply, otherwise the answer is
  ``success`` and the sender sends them through the customer-service API.

WeChat pushes a message again when it has no answer within 5 seconds; the push carries the
same ``MsgId`` (events: sender and time), which the turn records in its own transaction, so a
retry never makes a second turn. A follower's pushes are handled one at a time, in order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial

from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from backend.documents import DocumentRefused
from backend.ports import OutboxItem, UnitOfWork
from backend.wechat_config import WeChatConfig
from bot import callbacks
from bot.button_commands import ButtonCommands
from bot.keyed_locks import KeyedLocks
from bot.outbox_loop import sender_owner
from bot.runner import Conversations, DocumentTooLarge, Picked
from bot.runner.inbound import accept_inbound, handled
from bot.wechat.api import WeChatApi, WeChatError
from bot.wechat.choices import chosen_index, parse_menu_id
from bot.wechat.inbound import Inbound, read_push, typed_event
from bot.wechat.sender import CHANNEL, WeChatSender
from flows import events as ev
from locales import SUPPORTED

log = logging.getLogger(__name__)
PATH = "/wechat"
SUCCESS = "success"  # WeChat's "received, nothing to say now"
# How far back the message whose options a typed number picks is looked for.
_RECENT = 20
# How many of those are read first: the message with options is nearly always among the newest
# few (a question answered in words stands two to five items after it), and each item read is
# a payload decoded.
_FIRST_LOOK = 6


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _has_options(item: OutboxItem) -> bool:
    return item.kind == "message" and bool(item.payload.get("buttons"))


class WeChatChannel:
    """Receives the platform's pushes, runs turns, and sends the WeChat outbox.

    Args:
        reply_window: how long a push waits for its turn before it is answered ``success`` (the
            replies then go by the customer-service API); well inside WeChat's 5 seconds. 0: every
            reply goes by the API.
        max_skew: a push whose timestamp is further than this from now is refused (a replay).
        instance: the process's name for good (Config.instance_name), which the sender leases under.
    """

    def __init__(self, conversations: Conversations, config: WeChatConfig, *, send_attempts: int = 12,
                 reply_window: float = 4.0, max_skew: float = 300.0, api: WeChatApi | None = None,
                 idle_poll: float = 1.0, instance: str | None = None) -> None:
        self.conversations = conversations
        self.config = config
        self.reply_window = reply_window
        self.max_skew = max_skew
        self.api = api or WeChatApi(config, conversations.database)
        desk = conversations.desk
        # Real time, whatever clock the conversations run on: retries wait in the real world.
        self.sender = WeChatSender(conversations.database, self.api, config, clock=_wall_clock,
                                   max_attempts=send_attempts, idle_poll=idle_poll,
                                   owner=sender_owner("wechat", instance),
                                   on_give_up=desk.delivery_failed if desk is not None else None,
                                   hints=conversations.translations)
        self.crypto = WeChatCrypto(config.token, config.aes_key, config.app_id) if config.aes_key else None
        self._turns = KeyedLocks()
        # What the menu and the hints call the commands (查看进度, 找工作人员 …), typed as text.
        self._button_commands = ButtonCommands(conversations.translations, SUPPORTED)
        self._stop = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None
        self._in_hand: set[asyncio.Task[None]] = set()

    def add_routes(self, app: web.Application, *, secret: bytes | None = None) -> None:
        """``/wechat``; with the installation's ``secret``, also the web chat's binding inside WeChat."""
        app.router.add_get(PATH, self.verify)
        app.router.add_post(PATH, self.receive)
        if secret is not None:
            from bot.wechat.web_auth import WebAuthorization

            WebAuthorization(self.conversations, self.api, secret=secret).add_routes(app)

    async def start(self) -> None:
        self._stop.clear()
        self._sending = asyncio.create_task(self.sender.run(self._stop), name="wechat-outbox")

    async def stop(self) -> None:
        """Finish the turns in hand, send what they queued, and close."""
        if self._in_hand:
            await asyncio.wait(set(self._in_hand), timeout=10)
        self._stop.set()
        if self._sending is not None:
            await self._sending
        await self.api.close()

    # ------------------------------------------------------------------ HTTP

    async def verify(self, request: web.Request) -> web.Response:
        """The platform's check of the server URL."""
        if not self._signed(request):
            return web.Response(status=403, text="bad signature")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if not self._fresh(query.get("timestamp", "")):
            return web.Response(status=403, text="stale timestamp")
        body = await request.text()
        try:
            xml = self._open(body, query)
        except InvalidSignatureException:
            return web.Response(status=403, text="bad signature")
        except Exception:  # not XML, or not WeChat's envelope
            return web.Response(status=400, text="unreadable push")
        inbound = read_push(xml)
        if not inbound.openid:
            return web.Response(status=400, text="no FromUserName")
        return await self._answer(request, inbound)

    def _signed(self, request: web.Request) -> bool:
        q = request.query
        try:
            check_signature(self.config.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            return False
        return self._fresh(q.get("timestamp", ""))

    def _fresh(self, timestamp: str) -> bool:
        return timestamp.isdigit() and abs(time.time() - int(timestamp)) <= self.max_skew

    def _open(self, body: str, q: Mapping[str, str]) -> str:
        """The push's XML: decrypted in safe mode, its signature checked either way."""
        stamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if q.get("encrypt_type") == "aes":
            if self.crypto is None:
                raise InvalidSignatureException()  # safe mode is not configured: nothing to open it with
            return str(self.crypto.decrypt_message(body, q.get("msg_signature", ""), stamp, nonce))
        check_signature(self.config.token, q.get("signature", ""), stamp, nonce)
        return body

    async def _answer(self, request: web.Request, inbound: Inbound) -> web.StreamResponse:
        """Run the turn; answer with its replies if it finishes in time, else ``success``."""
        openid = inbound.openid
        awaiting = self.sender.awaiting_reply
        awaiting[openid] = awaiting.get(openid, 0) + 1
        turn = asyncio.ensure_future(self._in_order(inbound))
        self._in_hand.add(turn)
        turn.add_done_callback(partial(self._turn_done, openid))
        left_behind = True  # unless a passive reply carried everything, the sender is woken
        try:
            if self.reply_window <= 0:  # no passive replies at all
                return web.Response(text=SUCCESS)
            # The turn goes on when the window closes (its replies then go by the API): ``wait``
            # never cancels it.
            await asyncio.wait((turn,), timeout=self.reply_window)
            if not turn.done():
                return web.Response(text=SUCCESS)
            turn.result()  # a turn that failed fails the push: WeChat pushes it again
            response = web.Response(content_type="application/xml", charset="utf-8")

            async def hand_over(text: str) -> None:
                response.body = self._reply(inbound, text).encode()
                await response.prepare(request)
                await response.write_eof()

            async with self.sender.locks.hold(openid):
                # Marked sent once handed over: should anything fail before, they go by the API.
                passive = await self.sender.reply(openid, hand_over)
            left_behind = passive.left_behind
            return response if passive.replied else web.Response(text=SUCCESS)
        finally:
            awaiting[openid] -= 1
            if awaiting[openid] <= 0:
                del awaiting[openid]
            if left_behind:
                self.sender.wake()

    def _turn_done(self, openid: str, turn: asyncio.Task[None]) -> None:
        self._in_hand.discard(turn)
        if not turn.cancelled() and turn.exception() is not None:
            # Never the push's content: it may hold ID numbers.
            log.error("wechat push failed: %s", type(turn.exception()).__name__, exc_info=turn.exception())
        if openid not in self.sender.awaiting_reply:
            # A turn that outlasted its push's window: its replies go by the API now. (Inside
            # the window, the push that waits for it wakes the sender if it must.)
            self.sender.wake()

    def _reply(self, inbound: Inbound, text: str) -> str:
        reply = TextReply(source=inbound.account, target=inbound.openid, content=text)
        if self.crypto is None:
            return str(reply.render())
        return str(self.crypto.encrypt_message(reply.render(), f"{time.time_ns() % 10**9}"))

    # ------------------------------------------------------------------ the turn

    async def _in_order(self, inbound: Inbound) -> None:
        async with self._turns.hold(inbound.openid):
            await self.handle(inbound)

    async def handle(self, inbound: Inbound) -> None:
        """One push, as a turn (or a press of an option, a document, a notice)."""
        conversations, openid, key = self.conversations, inbound.openid, inbound.key
        if inbound.kind == "silent":
            return
        if inbound.kind == "image" and inbound.media_id:
            await self._image(inbound, inbound.media_id)
        elif inbound.kind == "text" and inbound.menu_id is not None:
            await self._menu_tap(inbound, inbound.menu_id)
        elif inbound.kind in ("text", "voice"):
            if inbound.kind == "voice":
                if not await self._first_time(key):
                    return
                if not inbound.text:
                    await self._notice_once(inbound, "wechat.voice_unclear", {})
                    return
                # What WeChat heard, shown first, so the resident can put it right.
                await conversations.notice(CHANNEL, openid, "wechat.voice_heard", {"text": inbound.text})
            await self._typed(inbound)
        elif isinstance(inbound.event, ev.Unsupported) and inbound.event.kind == "location":
            await self._notice_once(inbound, "wechat.location", {})
        elif inbound.event is not None:
            await conversations.handle(CHANNEL, openid, inbound.event, inbound_id=key, outbox=True)

    async def _typed(self, inbound: Inbound) -> None:
        """Typed (or spoken) text: an option of the live prompt picked by number or text, or an answer."""
        event = self._button_commands(typed_event(inbound.text))
        pick = partial(self._picked, inbound.openid, event.text) if isinstance(event, ev.Text) else None
        await self.conversations.handle(CHANNEL, inbound.openid, event, inbound_id=inbound.key, outbox=True,
                                        pick=pick)

    async def _picked(self, openid: str, text: str, uow: UnitOfWork) -> Picked | None:
        """The option the text picks by number or words; None for an answer."""
        live = await uow.outbox.live_prompt(CHANNEL, openid)
        prompt = await self._options_shown(uow, openid, live)
        index = chosen_index(text, prompt.payload) if prompt is not None else None
        return Picked(prompt.id, index, live) if prompt is not None and index is not None else None

    async def _options_shown(self, uow: UnitOfWork, openid: str, live: OutboxItem | None) -> OutboxItem | None:
        """The newest message with options, when its options still answer: the live prompt
        (``live``, read in ``uow``), or a notification's (an offer, "reply now"), whose options stay
        valid on their own message."""
        # Only what came after the live prompt can stand before it (usually nothing): the
        # payloads of the rest need not be read.
        after = live.id if live else None
        later = await uow.outbox.recent(CHANNEL, openid, limit=_FIRST_LOOK, after=after)
        if len(later) == _FIRST_LOOK and not any(map(_has_options, later)):
            # Neither all there is nor the newest with options: the same answer as one read of them all.
            later = await uow.outbox.recent(CHANNEL, openid, limit=_RECENT, after=after)
        shown = [live, *later] if live is not None else later
        newest = next((i for i in reversed(shown) if _has_options(i)), None)
        if newest is None:
            return None
        if newest is live or any(callbacks.is_action(str(b[0])) for b in newest.payload["buttons"]):
            return newest
        return None

    async def _menu_tap(self, inbound: Inbound, menu_id: str) -> None:
        pressed = parse_menu_id(menu_id)
        if pressed is None:
            await self._notice_once(inbound, "wechat.menu_expired", {})
            return
        result = await self.conversations.press(CHANNEL, inbound.openid, *pressed, inbound_id=inbound.key)
        if result.expired:
            await self.conversations.notice(CHANNEL, inbound.openid, "wechat.menu_expired", {})

    async def _image(self, inbound: Inbound, media_id: str) -> None:
        if not await self._first_time(inbound.key):
            return
        try:
            data = await self.api.download_media(media_id)
        except (WeChatError, OSError, TimeoutError) as error:
            log.warning("could not fetch a picture from wechat: %s", type(error).__name__)
            await self._notice_once(inbound, "wechat.image_failed", {})
            return
        limit_mb = round(self.conversations.max_document_bytes / (1024 * 1024), 1)
        try:
            await self.conversations.upload(CHANNEL, inbound.openid, f"photo-{inbound.key}.jpg", "image/jpeg", data,
                                            inbound_id=inbound.key, outbox=True)
        except DocumentTooLarge:
            await self._notice_once(inbound, "documents.too_large", {"max_mb": limit_mb})
        except DocumentRefused as refused:
            await self._notice_once(inbound, refused.key, {})

    async def _first_time(self, key: str) -> bool:
        """Whether no turn has taken this push yet (a read: the turn records it)."""
        async with self.conversations.database.unit_of_work() as uow:
            return not await handled(uow, CHANNEL, key)

    async def _notice_once(self, inbound: Inbound, key: str, params: dict[str, object]) -> None:
        """A channel's own message for a push that makes no turn, once however often it is pushed."""
        async with self.conversations.database.unit_of_work() as uow:
            first = await accept_inbound(uow, CHANNEL, inbound.openid, inbound.key, self.conversations.clock())
            await uow.commit()
        if first:
            await self.conversations.notice(CHANNEL, inbound.openid, key, params)
