"""What a WeChat push means to Yimen: a message to answer, a picture to fetch, or nothing.

The push is already verified (and decrypted); wechatpy parses it. Each gets the key WeChat
repeats when it pushes the same message again: ``MsgId`` for messages, sender and time for
events (WeChat's own advice for telling its retries apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from wechatpy import parse_message
from wechatpy.events import ClickEvent, ScanEvent, SubscribeEvent, SubscribeScanEvent
from wechatpy.messages import ImageMessage, LocationMessage, TextMessage, VoiceMessage

from flows import events as ev

# Trailing punctuation speech recognition adds to whatever it heard ("张三。").
_SPOKEN_STOPS = "。．.！!？?，,、 "
# Events that come without anyone writing: answered with nothing.
_SILENT_EVENTS = ("unsubscribe", "location", "view", "templatesendjobfinish", "masssendjobfinish")


@dataclass(frozen=True, slots=True)
class Inbound:
    """One push from one follower.

    Attributes:
        kind: "text" (typed, or a menu item tapped: ``menu_id``), "voice" (``text`` is what WeChat's
            recognition heard, empty when nothing), "image" (``media_id`` to fetch), "command" (an
            event: subscribe, scan, menu click as ``event``), "unsupported" (``event`` says what),
            "silent" (nothing to answer).
    """

    openid: str
    key: str
    kind: str
    account: str = ""  # the account's own id (ToUserName), which a passive reply comes from
    text: str = ""
    menu_id: str | None = None
    media_id: str | None = None
    event: ev.Event | None = None


class _Base(TypedDict):
    openid: str
    key: str
    account: str


def read_push(xml: str) -> Inbound:
    """The push as an ``Inbound``."""
    message: Any = parse_message(xml)
    openid = str(message.source or "")
    key = str(message.id) if message.id else f"{openid}:{message.time}:{getattr(message, 'event', '')}"
    base = _Base(openid=openid, key=key, account=str(message.target or ""))
    if isinstance(message, TextMessage):
        menu_id = message._data.get("bizmsgmenuid")
        return Inbound(**base, kind="text", text=str(message.content or ""),
                       menu_id=str(menu_id) if menu_id else None)
    if isinstance(message, VoiceMessage):
        return Inbound(**base, kind="voice", text=str(message.recognition or "").strip().rstrip(_SPOKEN_STOPS))
    if isinstance(message, ImageMessage):
        return Inbound(**base, kind="image", media_id=str(message.media_id))
    if isinstance(message, LocationMessage):
        return Inbound(**base, kind="unsupported", event=ev.Unsupported("location"))
    if isinstance(message, SubscribeScanEvent | ScanEvent):
        # A parametrised QR code: its scene is a deep link, as /start PAYLOAD is on Telegram.
        return Inbound(**base, kind="command", event=ev.Command("start", str(message.scene_id or "")))
    if isinstance(message, SubscribeEvent):
        return Inbound(**base, kind="command", event=ev.Command("start"))
    if isinstance(message, ClickEvent):
        return Inbound(**base, kind="command", event=menu_command(str(message.key or "")))
    if message.type == "event" and str(message._data.get("Event", "")).lower() in _SILENT_EVENTS:
        return Inbound(**base, kind="silent")
    kind = str(message._data.get("MsgType") or "other").lower()
    return Inbound(**base, kind="unsupported", event=ev.Unsupported("video" if "video" in kind else kind))


def menu_command(key: str) -> ev.Command:
    """A custom menu's CLICK key as a command: ``status`` is /status, ``start volunteer`` is
    /start volunteer (the keys the menu file in the policy pack gives its buttons)."""
    name, _, arg = key.strip().lstrip("/").partition(" ")
    return ev.Command(name.lower() or "start", arg.strip())


def typed_event(text: str) -> ev.Event:
    """Typed text as the engine takes it: ``/command arg`` or words."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        name, _, arg = stripped[1:].partition(" ")
        return ev.Command(name.lower(), arg.strip())
    return ev.Text(stripped)
