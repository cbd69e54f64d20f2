"""Sending: the chat a send targets, the checks before it, and the bot messages it records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api.errors import BLOCKED, ApiError, bad
from tests.fakes.telegram_api.files import StoredFile
from tests.fakes.telegram_api.formatting import format_text
from tests.fakes.telegram_api.messages import SentMessage
from tests.fakes.telegram_api.reply_markup import check_markup

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator
    from tests.fakes.telegram_api.users import SimUser

_MAX_TEXT = 4096
_MAX_CAPTION = 1024


def chat_for_send(emulator: BotApiEmulator, params: dict[str, Any]) -> SimUser:
    """The private chat a send or edit targets, or the Telegram error for it."""
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise bad("chat_id is empty")
    user = emulator._users.get(chat_id) if isinstance(chat_id, int) else None
    if user is None:
        raise bad("chat not found")
    return user


def check_reachable(user: SimUser) -> None:
    """403 when the user blocked the bot or never started it."""
    if user.blocked:
        raise ApiError(403, BLOCKED)
    if not user.started:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")


def reply_to(emulator: BotApiEmulator, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
    """The replied-to message for reply_parameters / reply_to_message_id, if any."""
    reply = params.get("reply_parameters")
    message_id = params.get("reply_to_message_id")
    allow_missing = bool(params.get("allow_sending_without_reply"))
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
    if message_id is None:
        return None
    replied = emulator._messages.get((chat_id, int(message_id)))
    if replied is None and not allow_missing:
        raise bad("message to be replied not found")
    return replied


def deliver(
    emulator: BotApiEmulator,
    user: SimUser,
    method: str,
    params: dict[str, Any],
    kind: str,
    content: dict[str, Any],
    text: str | None,
    plain: str | None,
    entities: list[dict[str, Any]],
    file: StoredFile | None = None,
    file_name: str | None = None,
) -> dict[str, Any]:
    """Check reachability and flood limits, then record a bot message and return its Message dict."""
    markup = check_markup(params.get("reply_markup"))
    replied = reply_to(emulator, user.id, params)
    check_reachable(user)
    emulator._take_flood_token(user.id, method)
    message: dict[str, Any] = {
        "message_id": emulator._next_message_id(user.id),
        "from": emulator._bot_user(),
        "chat": user.as_chat(),
        "date": int(emulator._wall_clock()),
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
    emulator._sent.setdefault(user.id, []).append(sent)
    emulator._bot_messages[(user.id, sent.message_id)] = sent
    emulator._messages[(user.id, sent.message_id)] = message
    emulator._notify()
    emulator.delivered(user, message)
    return message


def read_text(params: dict[str, Any]) -> tuple[str | None, str, list[dict[str, Any]]]:
    """A validated message text: raw text, plain text and entities."""
    text = params.get("text")
    plain, entities = format_text(text, params.get("parse_mode"), params.get("entities"))
    if not plain.strip():
        raise bad("message text is empty")
    if len(plain) > _MAX_TEXT:
        raise bad("message is too long")
    return text, plain, entities


def read_caption(params: dict[str, Any]) -> tuple[str | None, str | None, list[dict[str, Any]], dict[str, Any]]:
    """A validated caption: raw text, plain text, entities and the Message fields."""
    caption = params.get("caption")
    if caption is None or caption == "":
        return None, None, [], {}
    plain, entities = format_text(caption, params.get("parse_mode"), params.get("caption_entities"))
    if len(plain) > _MAX_CAPTION:
        raise bad("message caption is too long")
    content: dict[str, Any] = {"caption": plain}
    if entities:
        content["caption_entities"] = entities
    return caption, plain, entities, content


async def send_message(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """sendMessage."""
    user = chat_for_send(emulator, params)
    text, plain, entities = read_text(params)
    content: dict[str, Any] = {"text": plain}
    if entities:
        content["entities"] = entities
    if isinstance(params.get("link_preview_options"), dict):
        content["link_preview_options"] = params["link_preview_options"]
    return deliver(emulator, user, "sendMessage", params, "text", content, text, plain, entities)


async def send_photo(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """sendPhoto (upload, file_id or URL)."""
    user = chat_for_send(emulator, params)
    caption, plain, entities, content = read_caption(params)
    stored, _, _ = emulator._files.input_file(params.get("photo"), "photos", ".jpg")
    content["photo"] = [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 1280,
            "height": 960,
            "file_size": stored.file_size,
        }
    ]
    return deliver(emulator, user, "sendPhoto", params, "photo", content, caption, plain, entities, stored)


async def send_document(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """sendDocument (upload, file_id or URL)."""
    user = chat_for_send(emulator, params)
    caption, plain, entities, content = read_caption(params)
    stored, name, mime = emulator._files.input_file(params.get("document"), "documents", "")
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
    return deliver(emulator, user, "sendDocument", params, "document", content, caption, plain, entities, stored, name)


async def send_chat_action(emulator: BotApiEmulator, params: dict[str, Any]) -> bool:
    """sendChatAction (not counted against flood limits)."""
    user = chat_for_send(emulator, params)
    check_reachable(user)
    return True
