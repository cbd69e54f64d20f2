"""Editing and deleting bot messages: the edit methods, 'not modified', and deleteMessage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api.errors import bad
from tests.fakes.telegram_api.messages import SentMessage
from tests.fakes.telegram_api.reply_markup import check_markup
from tests.fakes.telegram_api.sending import chat_for_send, check_reachable, read_caption, read_text

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator
    from tests.fakes.telegram_api.users import SimUser


def editable(emulator: BotApiEmulator, params: dict[str, Any]) -> tuple[SimUser, SentMessage]:
    """The bot message an edit targets, or the Telegram error."""
    if params.get("inline_message_id"):
        raise bad("message to edit not found")
    user = chat_for_send(emulator, params)
    message_id = params.get("message_id")
    if message_id is None:
        raise bad("message identifier is not specified")
    sent = emulator._bot_messages.get((user.id, int(message_id)))
    if sent is None or sent.deleted:
        if (user.id, int(message_id)) in emulator._messages and sent is None:
            raise bad("message can't be edited")
        raise bad("message to edit not found")
    return user, sent


def apply_edit(
    emulator: BotApiEmulator,
    user: SimUser,
    sent: SentMessage,
    method: str,
    markup: dict[str, Any] | None,
    changes: dict[str, Any],
) -> dict[str, Any]:
    """Check 'not modified', reachability and flood limits, then apply an edit."""
    inline = markup if markup is not None and "inline_keyboard" in markup else None
    if markup is not None and inline is None:
        raise bad("inline keyboard expected")
    before = {key: sent.message.get(key) for key in changes}
    if before == changes and sent.message.get("reply_markup") == inline:
        raise bad(
            "message is not modified: specified new message content and reply markup are exactly the same "
            "as a current content and reply markup of the message"
        )
    check_reachable(user)
    emulator._take_flood_token(user.id, method)
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
    message["edit_date"] = int(emulator._wall_clock())
    sent.message = message
    sent.reply_markup = inline
    sent.edits += 1
    emulator._messages[(user.id, sent.message_id)] = message
    emulator._notify()
    return message


async def edit_message_text(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """editMessageText (without reply_markup the inline keyboard is removed, as in Telegram)."""
    return _edit_words(emulator, params, caption=False)


async def edit_message_caption(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """editMessageCaption."""
    return _edit_words(emulator, params, caption=True)


def _edit_words(emulator: BotApiEmulator, params: dict[str, Any], *, caption: bool) -> dict[str, Any]:
    """A text message's text or a media message's caption; Telegram refuses the other pairing."""
    user, sent = editable(emulator, params)
    if (sent.kind == "text") == caption:
        raise bad(f"there is no {'caption' if caption else 'text'} in the message to edit")
    if caption:
        text, plain, entities, _ = read_caption(params)
        method, fields = "editMessageCaption", {"caption": plain, "caption_entities": entities or None}
    else:
        text, plain, entities = read_text(params)
        method, fields = "editMessageText", {"text": plain, "entities": entities or None}
    markup = check_markup(params.get("reply_markup"))
    message = apply_edit(emulator, user, sent, method, markup, fields)
    sent.text, sent.plain_text, sent.entities, sent.parse_mode = text, plain, entities, params.get("parse_mode")
    return message


async def edit_message_reply_markup(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """editMessageReplyMarkup (no reply_markup removes the keyboard)."""
    user, sent = editable(emulator, params)
    markup = check_markup(params.get("reply_markup"))
    return apply_edit(emulator, user, sent, "editMessageReplyMarkup", markup, {})


async def delete_message(emulator: BotApiEmulator, params: dict[str, Any]) -> bool:
    """deleteMessage (bot messages are flagged deleted; user messages are forgotten)."""
    user = chat_for_send(emulator, params)
    key = (user.id, int(params.get("message_id") or 0))
    if key not in emulator._messages:
        raise bad("message to delete not found")
    del emulator._messages[key]
    sent = emulator._bot_messages.get(key)
    if sent is not None:
        sent.deleted = True
    emulator._notify()
    return True
