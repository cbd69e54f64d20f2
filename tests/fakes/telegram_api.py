"""A Telegram Bot API emulator: a loopback aiohttp server that python-telegram-bot can talk to."""

# Usage:
#
#     async with BotApiEmulator() as emulator:
#         app = (
#             Application.builder()
#             .token(emulator.token)
#             .base_url(f"{emulator.url}/bot")
#             .base_file_url(f"{emulator.url}/file/bot")
#             .build()
#         )
#         alice = emulator.user(1001)
#         await alice.send("/start")
#         messages = await emulator.wait_for(alice.id, 1)
#
# Behaviour in brief:
#
# * URLs are /bot{token}/{method} (method names case-insensitive, any HTTP verb) and
#   /file/bot{token}/{file_path}. Parameters come from the query string, a JSON body, an url-encoded
#   form or a multipart form. python-telegram-bot sends *everything* as form fields (json.dumps of
#   non-string values, never a JSON body), so JSON-valued fields (reply_markup, allowed_updates,
#   commands, scope, reply_parameters, ...) are decoded and numeric/boolean fields coerced.
# * Answers are {"ok": true, "result": ...} or {"ok": false, "error_code": N, "description": "...",
#   "parameters": {...}} with HTTP status N. A wrong but well-formed token gets 401, a malformed one
#   and an unknown method 404. A bug in the emulator answers 500 and is kept in `internal_errors`.
# * Flood limits: token buckets per chat (capacity `chat_burst`, refill `chat_rate`/s) and overall
#   (`global_burst`, `global_rate`/s), on the injectable `clock`. Sends and edits take a token from
#   both; without one the call gets 429 with retry_after (whole seconds until a token, at least 1)
#   and a line in `flood_violations`. answerCallbackQuery, sendChatAction and getters are free.
# * Faults (fail_next / fail): "429", "500", "502", "403" and "drop" (connection closed, no
#   response; ApiCall.status 0) never take effect. "slow" takes effect at once and holds the answer
#   back `slow_seconds`; "drop_after" takes effect and then closes the connection unanswered (the
#   "did my message go out?" case). Updates are only ever discarded when a later getUpdates offset
#   confirms them, so no getUpdates fault loses an update. Downloads are faultable as "download".
# * Webhook: updates are POSTed one at a time in update_id order; a non-2xx answer or a connection
#   error is retried after `webhook_retry_delay`, doubling up to `webhook_max_retry_delay`.
# * `commands` keys are "{scope}/{language_code}": "default/zh", "default/" (no language),
#   "chat:42/en".
# * getFile refuses files whose (possibly overridden) size exceeds `max_download_bytes` (20 MB, as
#   Telegram does) with "file is too big"; set it to None to lift the limit.
# * A SimUser who sends anything has started the bot and is unblocked (as "Restart bot" does);
#   `user(..., started=False)` makes a user the bot cannot message first (403).
# * Deliberate deviations from the real API: parse_mode="HTML" rejects a bare "&" that does not
#   start &lt; &gt; &amp; &quot; &#N; &#xH; (Telegram lets it through as text); Markdown and
#   MarkdownV2 are accepted but not parsed (plain_text is the raw text); http webhook URLs are
#   accepted; callback queries never expire by time; blocking sends no my_chat_member update;
#   photo thumbnails download as the full picture.

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from aiohttp.web_request import FileField

__all__ = ["PNG", "ApiCall", "ApiError", "BotApiEmulator", "SentMessage", "SimUser", "parse_html"]


def _png(width: int, height: int) -> bytes:
    """A valid, tiny, grey PNG image of the given size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG: bytes = _png(4, 3)
"""The default picture that :meth:`SimUser.send_photo` sends."""

_WEBP_STICKER: bytes = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)

_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_CALLBACK_DATA = 64


_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "reply_parameters",
    "link_preview_options",
    "entities",
    "caption_entities",
    "media",
}
_INT_FIELDS = {
    "message_id",
    "offset",
    "limit",
    "max_connections",
    "reply_to_message_id",
    "cache_time",
    "user_id",
    "message_thread_id",
}
_FLOAT_FIELDS = {"timeout"}
_BOOL_FIELDS = {
    "disable_notification",
    "show_alert",
    "drop_pending_updates",
    "protect_content",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "disable_content_type_detection",
    "has_spoiler",
    "show_caption_above_media",
    "allow_paid_broadcast",
}

_DEFAULT_ALLOWED = {"message", "edited_message", "callback_query", "channel_post", "edited_channel_post"}
_ERROR_KINDS = ("429", "500", "502", "403", "drop", "drop_after", "slow")
_BLOCKED = "Forbidden: bot was blocked by the user"
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional response parameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    """A 400 Bad Request error."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class SentMessage:
    """A message the bot sent, as the user currently sees it (edits applied)."""

    message_id: int
    chat_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    kind: str
    edits: int = 0
    date: int = 0
    plain_text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    file_id: str | None = None
    file_name: str | None = None
    reply_to_message_id: int | None = None
    disable_notification: bool = False
    deleted: bool = False
    message: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def button(self, text: str) -> dict[str, Any]:
        """The inline button whose text is (or, failing that, contains) `text`."""
        for button in self.buttons:
            if button.get("text") == text:
                return button
        for button in self.buttons:
            if text in str(button.get("text")):
                return button
        raise KeyError(f"no button {text!r} on message {self.message_id}: {[b.get('text') for b in self.buttons]}")


@dataclass
class ApiCall:
    """One Bot API request the emulator received."""

    method: str
    params: dict[str, Any]
    time: float
    status: int | None = None
    fault: str | None = None
    response: dict[str, Any] | None = None
    http_method: str = "POST"

    @property
    def ok(self) -> bool:
        """Whether the call was answered with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _File:
    """A file the emulator knows: its ids, bytes, reported size and download path."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_size: int
    file_path: str


@dataclass
class _Bucket:
    """A token bucket for flood limits."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def wait(self) -> float:
        """Seconds until one token is available."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _Fault:
    """A queued fault for the next calls of one method."""

    kind: str
    times: int
    retry_after: int


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """The character an HTML entity at `pos` stands for and the position after it, or None."""
    match = _HTML_ENTITY_RE.match(text, pos)
    if not match:
        return None
    name, decimal, hexadecimal = match.groups()
    if name:
        return _NAMED_ENTITIES[name], match.end()
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _decode_attribute(value: str) -> str:
    """Attribute values with entities decoded (leniently: undecodable `&` stays)."""
    out: list[str] = []
    pos = 0
    while pos < len(value):
        decoded = _decode_entity(value, pos) if value[pos] == "&" else None
        if decoded:
            out.append(decoded[0])
            pos = decoded[1]
        else:
            out.append(value[pos])
            pos += 1
    return "".join(out)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into plain text and MessageEntity dicts; raise ApiError(400) when malformed."""

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    def fail(reason: str) -> ApiError:
        return _bad(f"can't parse entities: {reason}")

    out: list[str] = []
    length16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    size = len(text)
    pos = 0
    while pos < size:
        char = text[pos]
        if char == "<":
            begin = pos
            if pos + 1 < size and text[pos + 1] == "/":
                if not stack:
                    raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
                end = pos + 2
                while end < size and not text[end].isspace() and text[end] != ">":
                    end += 1
                name = text[pos + 2 : end].lower()
                while end < size and text[end].isspace():
                    end += 1
                if end >= size or text[end] != ">":
                    raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
                open_name, start, open_attrs = stack[-1]
                if name and name != open_name:
                    raise fail(
                        f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                        f'expected "</{open_name}>", found "</{name}>"'
                    )
                stack.pop()
                entity_length = length16 - start
                language = open_attrs.get("class", "")
                if open_name == "code" and language.startswith("language-") and stack and stack[-1][0] == "pre":
                    stack[-1][2]["language"] = language[len("language-") :]
                elif entity_length > 0:
                    entity: dict[str, Any] = {"type": _HTML_TAGS[open_name], "offset": start, "length": entity_length}
                    if open_name == "a":
                        if not open_attrs.get("href"):
                            entity = {}
                        else:
                            entity["url"] = open_attrs["href"]
                    elif open_name == "pre" and open_attrs.get("language"):
                        entity["language"] = open_attrs["language"]
                    elif open_name == "blockquote" and "expandable" in open_attrs:
                        entity["type"] = "expandable_blockquote"
                    elif open_name == "tg-emoji":
                        entity["custom_emoji_id"] = open_attrs.get("emoji-id", "")
                    if entity:
                        entities.append(entity)
                pos = end + 1
                continue
            end = pos + 1
            while end < size and not text[end].isspace() and text[end] != ">":
                end += 1
            if end >= size:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            name = text[pos + 1 : end].lower()
            if name not in _HTML_TAGS:
                raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
            attrs: dict[str, str] = {}
            while True:
                while end < size and text[end].isspace():
                    end += 1
                if end >= size:
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if text[end] == ">":
                    end += 1
                    break
                name_end = end
                while name_end < size and not text[name_end].isspace() and text[name_end] not in "=>":
                    name_end += 1
                attribute = text[end:name_end].lower()
                if not attribute:
                    raise fail(f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}')
                end = name_end
                while end < size and text[end].isspace():
                    end += 1
                if end < size and text[end] == "=":
                    end += 1
                    while end < size and text[end].isspace():
                        end += 1
                    if end >= size:
                        raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                    if text[end] in "\"'":
                        closing = text.find(text[end], end + 1)
                        if closing < 0:
                            raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                        raw = text[end + 1 : closing]
                        end = closing + 1
                    else:
                        value_end = end
                        while value_end < size and (text[value_end].isalnum() or text[value_end] in ".-_"):
                            value_end += 1
                        if value_end == end:
                            raise fail(
                                f'Expected quote in declaration of attribute "{attribute}" of the tag "{name}" '
                                f"at byte offset {byte_offset(begin)}"
                            )
                        raw = text[end:value_end]
                        end = value_end
                    attrs[attribute] = _decode_attribute(raw)
                else:
                    attrs[attribute] = ""
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}')
            stack.append((name, length16, attrs))
            pos = end
            continue
        if char == "&":
            decoded = _decode_entity(text, pos)
            if decoded is None:
                raise fail(
                    f'Unsupported HTML entity or unescaped "&" at byte offset {byte_offset(pos)}; '
                    "use &amp; &lt; &gt; &quot;"
                )
            out.append(decoded[0])
            length16 += _utf16_len(decoded[0])
            pos = decoded[1]
            continue
        out.append(char)
        length16 += 2 if ord(char) > 0xFFFF else 1
        pos += 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda item: (item["offset"], -item["length"]))
    return "".join(out), entities


class SimUser:
    """A simulated Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        *,
        first_name: str,
        language_code: str | None,
        username: str | None,
        started: bool,
    ) -> None:
        self._emulator = emulator
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self.blocked = False
        self.started = started
        self.reply_keyboard: dict[str, Any] | None = None
        self._query_ids: list[str] = []

    def as_user(self) -> dict[str, Any]:
        """This user as a Bot API User object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> dict[str, Any]:
        """This user's private chat as a Bot API Chat object."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat

    def block(self) -> None:
        """Block the bot: further sends to this chat get 403."""
        self.blocked = True

    def unblock(self) -> None:
        """Unblock the bot."""
        self.blocked = False

    def sent(self) -> list[SentMessage]:
        """Messages the bot sent to this user."""
        return self._emulator.sent(self.id)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until the bot has sent this user at least `count` messages."""
        return await self._emulator.wait_for(self.id, count, timeout)

    def _message(self, reply_to: SentMessage | int | None = None) -> dict[str, Any]:
        """A new user message skeleton in this chat (sending also restarts a blocked bot)."""
        self.started = True
        self.blocked = False
        message = {
            "message_id": self._emulator._next_message_id(self.id),
            "from": self.as_user(),
            "chat": self.as_chat(),
            "date": int(self._emulator._wall_clock()),
        }
        if reply_to is not None:
            reply_id = reply_to.message_id if isinstance(reply_to, SentMessage) else reply_to
            replied = self._emulator._messages.get((self.id, reply_id))
            if replied is None:
                raise KeyError(f"no message {reply_id} in chat {self.id}")
            message["reply_to_message"] = dict(replied)
        return message

    async def send(self, text: str, *, reply_to: SentMessage | int | None = None) -> dict[str, Any]:
        """Send a text message to the bot (a leading /command gets a bot_command entity); return the Message dict."""
        message = self._message(reply_to)
        message["text"] = text
        command = _COMMAND_RE.match(text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group(0))}]
        return self._emulator._record_user_message(message)

    async def press(self, message: SentMessage | int, data: str) -> str:
        """Press an inline button on a bot message (any `data`, so it can be forged); return the callback query id."""
        message_id = message.message_id if isinstance(message, SentMessage) else message
        found = self._emulator._bot_messages.get((self.id, message_id))
        if found is None:
            raise KeyError(f"the bot sent no message {message_id} to chat {self.id}")
        self.started = True
        query_id = self._emulator._new_callback_query(self.id)
        self._query_ids.append(query_id)
        query = {
            "id": query_id,
            "from": self.as_user(),
            "message": dict(found.message),
            "chat_instance": str(7_000_000_000_000_000_000 + self.id),
            "data": data,
        }
        self._emulator._enqueue({"callback_query": query})
        return query_id

    async def send_photo(
        self, data: bytes = PNG, *, size_bytes: int | None = None, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a photo (three PhotoSize entries, largest last; all download as `data`); return the Message dict."""
        size = len(data) if size_bytes is None else size_bytes
        sizes = []
        for width, height, share in ((90, 68, 20), (320, 240, 4), (1280, 960, 1)):
            stored = self._emulator._store_file(data, "photos", ".jpg", max(1, size // share))
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.file_size,
                }
            )
        message = self._message()
        message["photo"] = sizes
        if caption is not None:
            message["caption"] = caption
        return self._emulator._record_user_message(message)

    async def send_document(
        self,
        data: bytes,
        filename: str,
        mime: str = "application/pdf",
        *,
        size_bytes: int | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a file as a document; `size_bytes` overrides the reported size; return the Message dict."""
        suffix = "." + filename.rsplit(".", 1)[1] if "." in filename else ""
        size = len(data) if size_bytes is None else size_bytes
        stored = self._emulator._store_file(data, "documents", suffix, size)
        message = self._message()
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime,
            "file_size": stored.file_size,
        }
        if caption is not None:
            message["caption"] = caption
        return self._emulator._record_user_message(message)

    async def send_sticker(self) -> dict[str, Any]:
        """Send a (static) sticker; return the Message dict."""
        stored = self._emulator._store_file(_WEBP_STICKER, "stickers", ".webp", len(_WEBP_STICKER))
        message = self._message()
        message["sticker"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🙂",
            "file_size": stored.file_size,
        }
        return self._emulator._record_user_message(message)

    async def share_contact(self, phone: str) -> dict[str, Any]:
        """Share this user's own contact (as the request_contact button does); return the Message dict."""
        message = self._message()
        message["contact"] = {"phone_number": phone, "first_name": self.first_name, "user_id": self.id}
        return self._emulator._record_user_message(message)

    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery parameters for this user's queries, in the order the bot answered them."""
        answers = self._emulator._callback_answers
        return [answer for answer in answers if answer["callback_query_id"] in self._query_ids]


class BotApiEmulator:
    """An in-process Telegram Bot API server for python-telegram-bot, with flood limits and fault injection."""

    slow_seconds: float = 2.0
    enforce_flood_limits: bool = True
    chat_burst: float = 3
    chat_rate: float = 1.0
    global_burst: float = 30
    global_rate: float = 30.0
    max_download_bytes: int | None = 20 * 1024 * 1024
    webhook_retry_delay: float = 0.05
    webhook_max_retry_delay: float = 1.0
    webhook_timeout: float = 10.0

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "yimen_test_bot",
        bot_first_name: str = "Yimen",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id = int(token.split(":", 1)[0])
        self.url = ""
        self.flood_violations: list[str] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook_deliveries: list[dict[str, Any]] = []
        self.internal_errors: list[str] = []
        self._clock = clock
        self._wall_clock = wall_clock
        self._users: dict[int, SimUser] = {}
        self._calls: list[ApiCall] = []
        self._sent: dict[int, list[SentMessage]] = {}
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._last_update_id = 0
        self._allowed_updates: set[str] = set(_DEFAULT_ALLOWED)
        self._poll_generation = 0
        self._files: dict[str, _File] = {}
        self._file_paths: dict[str, _File] = {}
        self._file_counter = 0
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._callback_answers: list[dict[str, Any]] = []
        self._query_counter = 0
        self._chat_buckets: dict[int, _Bucket] = {}
        self._global_bucket: _Bucket | None = None
        self._faults_next: dict[str, list[_Fault]] = {}
        self._fail_rate = 0.0
        self._fail_methods: set[str] | None = None
        self._fail_kinds: tuple[str, ...] = ()
        self._fail_retry_after = 1
        self._rng = random.Random(0)
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._changed = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 at a free port and set :attr:`url`."""
        self._stopping = False
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._session = ClientSession()

    async def stop(self) -> None:
        """Stop webhook delivery, release long polls and close the server."""
        self._stopping = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> BotApiEmulator:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    # ------------------------------------------------------------------ users and inspection

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        language_code: str | None = "zh-hans",
        username: str | None = None,
        started: bool = True,
    ) -> SimUser:
        """The simulated user with this id (created on first use; `started=False`: has never opened the bot)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        created = SimUser(
            self, user_id, first_name=first_name, language_code=language_code, username=username, started=started
        )
        self._users[user_id] = created
        return created

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent to the chat, in order, as currently shown (deleted ones flagged)."""
        return list(self._sent.get(chat_id, []))

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every Bot API call received (optionally only of one method, case-insensitive), in order."""
        if method is None:
            return list(self._calls)
        wanted = method.lower()
        return [call for call in self._calls if call.method.lower() == wanted]

    @property
    def last_update_id(self) -> int:
        """The update_id of the newest update queued so far (0 before any)."""
        return self._last_update_id

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed (polling) or delivered (webhook)."""
        return list(self._updates)

    async def wait_for(self, chat_id: int, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until the bot has sent at least `count` messages to the chat; return them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._sent.get(chat_id, [])) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                texts = [message.plain_text for message in self._sent.get(chat_id, [])]
                failed = [f"{c.method}->{c.status}{'/' + c.fault if c.fault else ''}" for c in self._calls[-10:]]
                raise TimeoutError(
                    f"chat {chat_id} has {len(texts)} of {count} bot messages after {timeout}s: {texts}; "
                    f"last calls: {failed}"
                )
            await self._wait_change(remaining)
        return self.sent(chat_id)

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0) -> list[ApiCall]:
        """Wait until at least `count` calls of `method` have been answered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len([call for call in self.calls(method) if call.status is not None]) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"fewer than {count} answered {method} calls after {timeout}s")
            await self._wait_change(remaining)
        return self.calls(method)

    # ------------------------------------------------------------------ faults

    def fail(
        self,
        *,
        rate: float = 0.0,
        methods: set[str] | None = None,
        kinds: tuple[str, ...] = ("429", "500", "502", "drop"),
        retry_after: int = 1,
        seed: int = 0,
    ) -> None:
        """Fail a random `rate` of calls (to `methods`, or all; "download" names file downloads) with one of `kinds`."""
        unknown = set(kinds) - set(_ERROR_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {_ERROR_KINDS}")
        self._fail_rate = rate
        self._fail_methods = {method.lower() for method in methods} if methods is not None else None
        self._fail_kinds = tuple(kinds)
        self._fail_retry_after = retry_after
        self._rng = random.Random(seed)

    def fail_next(self, method: str, kind: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Fail the next `times` calls of `method` with `kind`: 429 500 502 403 drop drop_after slow."""
        if kind not in _ERROR_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {_ERROR_KINDS}")
        self._faults_next.setdefault(method.lower(), []).append(_Fault(kind, times, retry_after))

    def clear_faults(self) -> None:
        """Forget all queued and random faults."""
        self._faults_next.clear()
        self._fail_rate = 0.0
        self._fail_methods = None

    def _pick_fault(self, method: str) -> tuple[str, int] | None:
        """The fault for this call, if any, and its retry_after."""
        queued = self._faults_next.get(method.lower())
        if queued:
            fault = queued[0]
            fault.times -= 1
            if fault.times <= 0:
                queued.pop(0)
            return fault.kind, fault.retry_after
        if self._fail_rate > 0 and (self._fail_methods is None or method.lower() in self._fail_methods):
            if self._rng.random() < self._fail_rate:
                return self._rng.choice(self._fail_kinds), self._fail_retry_after
        return None

    # ------------------------------------------------------------------ internal state helpers

    def _notify(self) -> None:
        """Wake everything waiting for a state change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        """Wait for the next state change or `timeout` seconds."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def _next_message_id(self, chat_id: int) -> int:
        """The next message id in a chat (user and bot messages share the sequence)."""
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _record_user_message(self, message: dict[str, Any]) -> dict[str, Any]:
        """Remember a user's message and queue it as an update."""
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        self._enqueue({"message": message})
        return message

    def _enqueue(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update with the next update_id."""
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **payload}
        self._updates.append(update)
        self._notify()
        return update

    def _new_callback_query(self, user_id: int) -> str:
        """A fresh callback query id for this user."""
        self._query_counter += 1
        query_id = str(4_000_000_000_000_000 + self._query_counter)
        self._callback_queries[query_id] = {"user_id": user_id, "answered": False}
        return query_id

    def _store_file(self, data: bytes, folder: str, suffix: str, size: int) -> _File:
        """Keep file bytes under a new file_id and download path."""
        self._file_counter += 1
        number = self._file_counter
        stored = _File(
            file_id=f"BQACAgIAAxkBAAI{number:08d}{folder[:3]}",
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            file_size=size,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def _bot_user(self) -> dict[str, Any]:
        """The bot as a User object in messages."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    def _update_type(self, update: dict[str, Any]) -> str:
        """The update's kind ("message", "callback_query", ...)."""
        return next(key for key in update if key != "update_id")

    # ------------------------------------------------------------------ HTTP plumbing

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Parameters from the query string and the body (JSON, url-encoded or multipart), decoded."""
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.read()
            if body:
                try:
                    decoded = json.loads(body)
                except ValueError as exc:
                    raise _bad("can't parse JSON encoded request parameters") from exc
                if not isinstance(decoded, dict):
                    raise _bad("can't parse JSON encoded request parameters")
                raw.update(decoded)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key in form:
                raw[key] = form[key]
        params: dict[str, Any] = {}
        for key, value in raw.items():
            params[key] = self._coerce(key, value)
        return params

    def _coerce(self, key: str, value: Any) -> Any:
        """Decode one parameter as Telegram would (JSON fields, numbers, booleans)."""
        if isinstance(value, FileField):
            content = value.file.read()
            return {"upload": True, "filename": value.filename, "mime_type": value.content_type, "data": content}
        if not isinstance(value, str):
            return value
        if key in _JSON_FIELDS:
            try:
                return json.loads(value)
            except ValueError as exc:
                if key == "reply_markup":
                    raise _bad("can't parse reply keyboard markup JSON object") from exc
                raise _bad(f"can't parse {key} JSON object") from exc
        if key == "chat_id":
            with contextlib.suppress(ValueError):
                return int(value)
            return value
        if key in _INT_FIELDS:
            try:
                return int(value)
            except ValueError as exc:
                raise _bad(f"invalid {key} specified") from exc
        if key in _FLOAT_FIELDS:
            try:
                return float(value)
            except ValueError as exc:
                raise _bad(f"invalid {key} specified") from exc
        if key in _BOOL_FIELDS:
            return value.strip().lower() in ("true", "1")
        return value

    @staticmethod
    def _loggable(params: dict[str, Any]) -> dict[str, Any]:
        """Parameters with uploaded bytes replaced by their size."""
        shown: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, dict) and value.get("upload") is True:
                size = len(value["data"])
                shown[key] = {"filename": value["filename"], "mime_type": value["mime_type"], "size": size}
            else:
                shown[key] = value
        return shown

    @staticmethod
    def _error_body(status: int, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """A Bot API error response body."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return body

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Route /bot{token}/{method} and /file/bot{token}/{path}."""
        path = request.path
        if path.startswith("/file/bot"):
            return await self._handle_download(request, path[len("/file/bot") :])
        if path.startswith("/bot"):
            token, _, method = path[len("/bot") :].partition("/")
            return await self._handle_method(request, token, method.strip("/"))
        return web.json_response(self._error_body(404, "Not Found"), status=404)

    async def _handle_method(self, request: web.Request, token: str, name: str) -> web.StreamResponse:
        """Answer one Bot API method call, applying token checks and faults."""
        canonical = _METHOD_NAMES.get(name.lower(), name)
        call = ApiCall(method=canonical, params={}, time=self._clock(), http_method=request.method)
        self._calls.append(call)
        try:
            params = await self._read_params(request)
        except ApiError as error:
            return self._finish(call, error.status, self._error_body(error.status, error.description))
        call.params = self._loggable(params)
        if token != self.token:
            status, text = (401, "Unauthorized") if _TOKEN_RE.match(token) else (404, "Not Found")
            return self._finish(call, status, self._error_body(status, text))
        handler = _HANDLERS.get(canonical)
        if handler is None:
            return self._finish(call, 404, self._error_body(404, "Not Found"))
        fault = self._pick_fault(canonical)
        kind = fault[0] if fault else None
        call.fault = kind
        if fault is not None:
            early = self._early_fault(request, call, *fault)
            if early is not None:
                return early
        try:
            result = await handler(self, params)
        except ApiError as error:
            status, body = error.status, self._error_body(error.status, error.description, error.parameters)
        except Exception as exc:  # a bug in the emulator: answer 500 and keep it for the test to see
            self.internal_errors.append(f"{canonical}({call.params}): {exc!r}")
            status, body = 500, self._error_body(500, f"Internal Server Error: emulator bug {exc!r}")
        else:
            status, body = 200, {"ok": True, "result": result}
        if kind == "drop_after":
            return self._drop(request, call)
        if kind == "slow":
            await self._sleep_unless_stopping(self.slow_seconds)
        return self._finish(call, status, body)

    def _early_fault(
        self, request: web.Request, call: ApiCall, kind: str, retry_after: int
    ) -> web.StreamResponse | None:
        """The response for a fault that prevents the call from taking effect, or None."""
        if kind == "429":
            body = self._error_body(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
            return self._finish(call, 429, body)
        if kind == "500":
            return self._finish(call, 500, self._error_body(500, "Internal Server Error"))
        if kind == "502":
            return self._finish(call, 502, self._error_body(502, "Bad Gateway"))
        if kind == "403":
            return self._finish(call, 403, self._error_body(403, _BLOCKED))
        if kind == "drop":
            return self._drop(request, call)
        return None

    def _finish(self, call: ApiCall, status: int, body: dict[str, Any]) -> web.Response:
        """Record the outcome and build the JSON response."""
        call.status = status
        call.response = body
        self._notify()
        return web.json_response(body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))

    def _drop(self, request: web.Request, call: ApiCall) -> web.StreamResponse:
        """Close the connection without answering."""
        call.status = 0
        call.response = None
        self._notify()
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        """Sleep, cut short when the emulator stops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._stopping and loop.time() < deadline:
            await self._wait_change(deadline - loop.time())

    async def _handle_download(self, request: web.Request, rest: str) -> web.StreamResponse:
        """Serve file bytes at /file/bot{token}/{file_path}."""
        token, _, file_path = rest.partition("/")
        call = ApiCall("download", {"file_path": file_path}, self._clock(), http_method=request.method)
        self._calls.append(call)
        stored = self._file_paths.get(file_path)
        if token != self.token or stored is None:
            return self._finish(call, 404, self._error_body(404, "Not Found"))
        fault = self._pick_fault("download")
        call.fault = fault[0] if fault else None
        if fault is not None:
            early = self._early_fault(request, call, *fault)
            if early is not None:
                return early
            if fault[0] == "drop_after":
                return self._drop(request, call)
            await self._sleep_unless_stopping(self.slow_seconds)
        call.status = 200
        self._notify()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ flood limits and chats

    def _take_flood_token(self, chat_id: int, method: str) -> None:
        """Spend one per-chat and one global token, or raise 429 and record the violation."""
        if not self.enforce_flood_limits:
            return
        now = self._clock()
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            bucket = self._chat_buckets[chat_id] = _Bucket(self.chat_burst, self.chat_rate, self.chat_burst, now)
        if self._global_bucket is None:
            self._global_bucket = _Bucket(self.global_burst, self.global_rate, self.global_burst, now)
        overall = self._global_bucket
        bucket.refill(now)
        overall.refill(now)
        if bucket.tokens >= 1 and overall.tokens >= 1:
            bucket.tokens -= 1
            overall.tokens -= 1
            return
        retry_after = max(1, math.ceil(max(bucket.wait(), overall.wait()) - 1e-9))
        limits = []
        if bucket.tokens < 1:
            limits.append(f"{self.chat_rate:g}/s per chat (burst {self.chat_burst:g})")
        if overall.tokens < 1:
            limits.append(f"{self.global_rate:g}/s overall (burst {self.global_burst:g})")
        self.flood_violations.append(
            f"{method} to chat {chat_id} at t={now:.3f} exceeded {' and '.join(limits)}; retry after {retry_after}s"
        )
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def _chat_for_send(self, params: dict[str, Any]) -> SimUser:
        """The private chat a send or edit targets, or the Telegram error for it."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        user = self._users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise _bad("chat not found")
        return user

    def _check_reachable(self, user: SimUser) -> None:
        """403 when the user blocked the bot or never started it."""
        if user.blocked:
            raise ApiError(403, _BLOCKED)
        if not user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    @staticmethod
    def _format(text: str | None, parse_mode: str | None, entities: Any) -> tuple[str, list[dict[str, Any]]]:
        """Plain text and entities of a text/caption under a parse mode."""
        text = text or ""
        if parse_mode:
            mode = parse_mode.lower()
            if mode == "html":
                return parse_html(text)
            if mode in ("markdown", "markdownv2"):
                return text, []
            raise _bad(f"unsupported parse_mode {parse_mode!r}")
        return text, list(entities) if isinstance(entities, list) else []

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup as Telegram does; return it (or None)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array")
            if sum(len(row) for row in rows) > 100:
                raise _bad("reply markup is too long")
            actions = (
                "callback_data",
                "url",
                "login_url",
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat",
                "copy_text",
                "callback_game",
                "pay",
                "web_app",
            )
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                        raise _bad("can't parse inline keyboard button: Text must be non-empty")
                    if not any(key in button for key in actions):
                        raise _bad("text buttons are unallowed in the inline keyboard")
                    if "callback_data" in button:
                        data = button["callback_data"]
                        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= _MAX_CALLBACK_DATA:
                            raise _bad("BUTTON_DATA_INVALID")
                    if "url" in button:
                        url = str(button["url"])
                        if not re.match(r"^(https?|tg)://\S+$", url):
                            raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
            return markup
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
                raise _bad("keyboard must be non-empty")
            for row in rows:
                for button in row:
                    label = button if isinstance(button, str) else (button or {}).get("text")
                    if not label:
                        raise _bad("can't parse keyboard button: Text must be non-empty")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        """The replied-to message for reply_parameters / reply_to_message_id, if any."""
        reply = params.get("reply_parameters")
        message_id = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        replied = self._messages.get((chat_id, int(message_id)))
        if replied is None and not allow_missing:
            raise _bad("message to be replied not found")
        return replied

    def _deliver(
        self,
        user: SimUser,
        method: str,
        params: dict[str, Any],
        kind: str,
        content: dict[str, Any],
        text: str | None,
        plain: str | None,
        entities: list[dict[str, Any]],
        file: _File | None = None,
        file_name: str | None = None,
    ) -> dict[str, Any]:
        """Check reachability and flood limits, then record a bot message and return its Message dict."""
        markup = self._check_markup(params.get("reply_markup"))
        replied = self._reply_to(user.id, params)
        self._check_reachable(user)
        self._take_flood_token(user.id, method)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(user.id),
            "from": self._bot_user(),
            "chat": user.as_chat(),
            "date": int(self._wall_clock()),
            **content,
        }
        if replied is not None:
            message["reply_to_message"] = dict(replied)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if markup is not None and "keyboard" in markup:
            user.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            user.reply_keyboard = None
        sent = SentMessage(
            message_id=message["message_id"],
            chat_id=user.id,
            text=text,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            kind=kind,
            date=message["date"],
            plain_text=plain,
            entities=entities,
            file_id=file.file_id if file else None,
            file_name=file_name,
            reply_to_message_id=replied["message_id"] if replied else None,
            disable_notification=bool(params.get("disable_notification")),
            message=message,
        )
        self._sent.setdefault(user.id, []).append(sent)
        self._bot_messages[(user.id, sent.message_id)] = sent
        self._messages[(user.id, sent.message_id)] = message
        self._notify()
        return message

    def _input_file(self, value: Any, folder: str, suffix: str) -> tuple[_File, str | None, str | None]:
        """A file from an upload, a known file_id or a URL: (file, file name, mime type)."""
        if isinstance(value, dict) and value.get("upload") is True:
            name = value.get("filename") or f"file{suffix}"
            if "." in name:
                suffix = "." + name.rsplit(".", 1)[1]
            data = value["data"]
            if not data:
                raise _bad("file must be non-empty")
            return self._store_file(data, folder, suffix, len(data)), name, value.get("mime_type")
        if isinstance(value, str) and value in self._files:
            return self._files[value], None, None
        if isinstance(value, str) and re.match(r"^https?://\S+$", value):
            name = value.rstrip("/").rsplit("/", 1)[-1] or f"file{suffix}"
            return self._store_file(b"downloaded:" + value.encode(), folder, suffix, 1024), name, None
        if value is None or value == "":
            raise _bad("there is no file in the request")
        raise _bad("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ methods

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        """getMe."""
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _allowed(self, update: dict[str, Any], allowed: set[str]) -> bool:
        """Whether an update's type is among the allowed ones."""
        return self._update_type(update) in allowed

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """getUpdates with offset confirmation and long polling; 409 while a webhook is set or a newer poll arrives."""
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        allowed_updates = params.get("allowed_updates")
        if isinstance(allowed_updates, list):
            self._allowed_updates = set(allowed_updates) or set(_DEFAULT_ALLOWED)
        limit = params.get("limit") or 100
        limit = max(1, min(100, int(limit)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if self._webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            ready = [update for update in self._updates if self._allowed(update, self._allowed_updates)][:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._stopping:
                return [json.loads(json.dumps(update)) for update in ready]
            await self._wait_change(remaining)

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        """setWebhook (an empty url removes it)."""
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not re.match(r"^https?://\S+$", url):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        allowed_updates = params.get("allowed_updates")
        if isinstance(allowed_updates, list):
            self._allowed_updates = set(allowed_updates) or set(_DEFAULT_ALLOWED)
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": int(params.get("max_connections") or 40),
        }
        self._webhook_error = None
        self._notify()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_loop(), name="BotApiEmulator:webhook")
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        """deleteWebhook."""
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._notify()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """getWebhookInfo."""
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _webhook_loop(self) -> None:
        """POST queued updates to the webhook one at a time, in order, retrying with backoff until 2xx."""
        delay = self.webhook_retry_delay
        while not self._stopping and self._webhook is not None:
            for update in list(self._updates):
                if not self._allowed(update, self._allowed_updates):
                    self._updates.remove(update)
            if not self._updates:
                await self._wait_change(1.0)
                continue
            update = self._updates[0]
            webhook = self._webhook
            headers = {"Content-Type": "application/json"}
            if webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = str(webhook["secret_token"])
            error: str | None = None
            status: int | None = None
            assert self._session is not None
            try:
                async with self._session.post(
                    webhook["url"],
                    data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                    headers=headers,
                    timeout=ClientTimeout(total=self.webhook_timeout),
                ) as response:
                    status = response.status
                    await response.read()
                    if not 200 <= status < 300:
                        error = f"Wrong response from the webhook: {status} {response.reason}"
            except (ClientError, OSError, TimeoutError) as exc:
                error = f"Connection failed: {exc!r}"
            self.webhook_deliveries.append({"update_id": update["update_id"], "status": status, "error": error})
            if error is None:
                if update in self._updates:
                    self._updates.remove(update)
                delay = self.webhook_retry_delay
                self._notify()
                continue
            self._webhook_error = (int(self._wall_clock()), error)
            self._notify()
            await self._sleep_unless_stopping(delay)
            delay = min(delay * 2, self.webhook_max_retry_delay)

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendMessage."""
        user = self._chat_for_send(params)
        text = params.get("text")
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise _bad("message text is empty")
        if len(plain) > _MAX_TEXT:
            raise _bad("message is too long")
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        return self._deliver(user, "sendMessage", params, "text", content, text, plain, entities)

    def _caption(self, params: dict[str, Any]) -> tuple[str | None, str | None, list[dict[str, Any]], dict[str, Any]]:
        """A validated caption: raw text, plain text, entities and the Message fields."""
        caption = params.get("caption")
        if caption is None or caption == "":
            return None, None, [], {}
        plain, entities = self._format(caption, params.get("parse_mode"), params.get("caption_entities"))
        if len(plain) > _MAX_CAPTION:
            raise _bad("message caption is too long")
        content: dict[str, Any] = {"caption": plain}
        if entities:
            content["caption_entities"] = entities
        return caption, plain, entities, content

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendPhoto (upload, file_id or URL)."""
        user = self._chat_for_send(params)
        caption, plain, entities, content = self._caption(params)
        stored, _, _ = self._input_file(params.get("photo"), "photos", ".jpg")
        content["photo"] = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 1280,
                "height": 960,
                "file_size": stored.file_size,
            }
        ]
        return self._deliver(user, "sendPhoto", params, "photo", content, caption, plain, entities, stored)

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendDocument (upload, file_id or URL)."""
        user = self._chat_for_send(params)
        caption, plain, entities, content = self._caption(params)
        stored, name, mime = self._input_file(params.get("document"), "documents", "")
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if name:
            document["file_name"] = name
        if mime:
            document["mime_type"] = mime
        content["document"] = document
        return self._deliver(user, "sendDocument", params, "document", content, caption, plain, entities, stored, name)

    def _editable(self, params: dict[str, Any]) -> tuple[SimUser, SentMessage]:
        """The bot message an edit targets, or the Telegram error."""
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")
        user = self._chat_for_send(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        sent = self._bot_messages.get((user.id, int(message_id)))
        if sent is None or sent.deleted:
            if (user.id, int(message_id)) in self._messages and sent is None:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return user, sent

    def _apply_edit(
        self, user: SimUser, sent: SentMessage, method: str, markup: dict[str, Any] | None, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Check 'not modified', reachability and flood limits, then apply an edit."""
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if markup is not None and inline is None:
            raise _bad("inline keyboard expected")
        before = {key: sent.message.get(key) for key in changes}
        if before == changes and sent.message.get("reply_markup") == inline:
            raise _bad(
                "message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message"
            )
        self._check_reachable(user)
        self._take_flood_token(user.id, method)
        message = dict(sent.message)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        if inline is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = inline
        message["edit_date"] = int(self._wall_clock())
        sent.message = message
        sent.reply_markup = inline
        sent.edits += 1
        self._messages[(user.id, sent.message_id)] = message
        self._notify()
        return message

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        """editMessageText (without reply_markup the inline keyboard is removed, as in Telegram)."""
        user, sent = self._editable(params)
        if sent.kind != "text":
            raise _bad("there is no text in the message to edit")
        text = params.get("text")
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise _bad("message text is empty")
        if len(plain) > _MAX_TEXT:
            raise _bad("message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        message = self._apply_edit(
            user, sent, "editMessageText", markup, {"text": plain, "entities": entities or None}
        )
        sent.text, sent.plain_text, sent.entities, sent.parse_mode = text, plain, entities, params.get("parse_mode")
        return message

    async def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        """editMessageCaption."""
        user, sent = self._editable(params)
        if sent.kind == "text":
            raise _bad("there is no caption in the message to edit")
        caption, plain, entities, _ = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        message = self._apply_edit(
            user, sent, "editMessageCaption", markup, {"caption": plain, "caption_entities": entities or None}
        )
        sent.text, sent.plain_text, sent.entities, sent.parse_mode = caption, plain, entities, params.get("parse_mode")
        return message

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        """editMessageReplyMarkup (no reply_markup removes the keyboard)."""
        user, sent = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit(user, sent, "editMessageReplyMarkup", markup, {})

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        """deleteMessage (bot messages are flagged deleted; user messages are forgotten)."""
        user = self._chat_for_send(params)
        key = (user.id, int(params.get("message_id") or 0))
        if key not in self._messages:
            raise _bad("message to delete not found")
        del self._messages[key]
        sent = self._bot_messages.get(key)
        if sent is not None:
            sent.deleted = True
        self._notify()
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        """sendChatAction (not counted against flood limits)."""
        user = self._chat_for_send(params)
        self._check_reachable(user)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        """answerCallbackQuery: once per query."""
        query_id = str(params.get("callback_query_id") or "")
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise _bad(_QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        query["answered"] = True
        answer = {
            "callback_query_id": query_id,
            "text": text,
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
            "cache_time": params.get("cache_time"),
        }
        self._callback_answers.append(answer)
        self._notify()
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        """getFile; files over max_download_bytes get 'file is too big' like the real 20 MB limit."""
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        if self.max_download_bytes is not None and stored.file_size > self.max_download_bytes:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        """The key in :attr:`commands`: "{scope}/{language_code}", e.g. "default/zh" or "chat:42/"."""
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope JSON object")
        name = str(scope["type"])
        for key in ("chat_id", "user_id"):
            if key in scope:
                name += f":{scope[key]}"
        language = str(params.get("language_code") or "")
        if language and not re.match(r"^[a-z]{2}$", language):
            raise _bad("invalid language code specified")
        return f"{name}/{language}"

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        """setMyCommands."""
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.match(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """getMyCommands."""
        return list(self.commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        """deleteMyCommands."""
        self.commands.pop(self._commands_key(params), None)
        return True


_HANDLERS: dict[str, Callable[[BotApiEmulator, dict[str, Any]], Any]] = {
    "getMe": BotApiEmulator._get_me,
    "getUpdates": BotApiEmulator._get_updates,
    "setWebhook": BotApiEmulator._set_webhook,
    "deleteWebhook": BotApiEmulator._delete_webhook,
    "getWebhookInfo": BotApiEmulator._get_webhook_info,
    "sendMessage": BotApiEmulator._send_message,
    "sendPhoto": BotApiEmulator._send_photo,
    "sendDocument": BotApiEmulator._send_document,
    "editMessageText": BotApiEmulator._edit_message_text,
    "editMessageCaption": BotApiEmulator._edit_message_caption,
    "editMessageReplyMarkup": BotApiEmulator._edit_message_reply_markup,
    "deleteMessage": BotApiEmulator._delete_message,
    "sendChatAction": BotApiEmulator._send_chat_action,
    "answerCallbackQuery": BotApiEmulator._answer_callback_query,
    "getFile": BotApiEmulator._get_file,
    "setMyCommands": BotApiEmulator._set_my_commands,
    "getMyCommands": BotApiEmulator._get_my_commands,
    "deleteMyCommands": BotApiEmulator._delete_my_commands,
}
_METHOD_NAMES = {name.lower(): name for name in _HANDLERS}
