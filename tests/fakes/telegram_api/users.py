"""A simulated Telegram user in a private chat with the bot, and what they can do in it."""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api.messages import SentMessage
from tests.fakes.telegram_api.samples import PNG, WEBP_STICKER

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")


@dataclass(eq=False)
class SimUser:
    """A simulated Telegram user in a private chat with the bot (chat id == user id)."""

    _emulator: BotApiEmulator
    id: int
    _: KW_ONLY
    first_name: str
    language_code: str | None
    username: str | None
    started: bool
    blocked: bool = False
    reply_keyboard: dict[str, Any] | None = None
    _query_ids: list[str] = field(default_factory=list)

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
            stored = self._emulator._files.store(data, "photos", ".jpg", max(1, size // share))
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
        stored = self._emulator._files.store(data, "documents", suffix, size)
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
        stored = self._emulator._files.store(WEBP_STICKER, "stickers", ".webp", len(WEBP_STICKER))
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
