"""What a Telegram update means to Yimen: an engine event, a button press, or a file to fetch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from telegram import Message, Update

from flows import events as ev
from locales import pick_locale

UNSUPPORTED = ("sticker", "voice", "video", "video_note", "animation", "audio", "location", "venue", "poll", "dice")


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message or a press from one private chat."""

    update_id: int
    external_id: str
    locale_hint: str
    event: ev.Event | None = None
    press: tuple[int, int] | None = None  # (outbox id of the prompt, button index)
    callback_id: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    file_mime: str | None = None
    file_size: int | None = None


def parse_callback(data: str | None) -> tuple[int, int] | None:
    """``"<prompt>:<index>"`` as two numbers, or None for anything else (a forged button)."""
    if not data or len(data) > 64:
        return None
    prompt, _, index = data.partition(":")
    if not (prompt.isdigit() and index.isdigit()):
        return None
    return int(prompt), int(index)



class _Chat(TypedDict):
    """The fields of an ``Inbound`` that every update of a private chat gives."""

    update_id: int
    external_id: str
    locale_hint: str


def callback_data(prompt_id: int, index: int) -> str:
    return f"{prompt_id}:{index}"


def read_update(update: Update) -> Inbound | None:
    """The update as an ``Inbound``, or None when it is nothing Yimen answers (a group, an edit)."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != "private":
        return None
    base: _Chat = {
        "update_id": update.update_id, "external_id": str(chat.id), "locale_hint": pick_locale(user.language_code)
    }
    query = update.callback_query
    if query is not None:
        return Inbound(**base, press=parse_callback(query.data), callback_id=query.id)
    message = update.message
    if message is None:
        return None
    return _from_message(message, base)


def _from_message(message: Message, base: _Chat) -> Inbound:
    if message.photo:
        largest = message.photo[-1]
        return Inbound(
            **base, file_id=largest.file_id, file_name=f"photo-{message.message_id}.jpg",
            file_mime="image/jpeg", file_size=largest.file_size,
        )
    if message.document:
        doc = message.document
        return Inbound(
            **base, file_id=doc.file_id, file_name=doc.file_name or f"document-{message.message_id}",
            file_mime=doc.mime_type or "application/octet-stream", file_size=doc.file_size,
        )
    if message.contact:
        return Inbound(**base, event=ev.Text(message.contact.phone_number))
    if message.text is not None:
        return Inbound(**base, event=_text_event(message.text))
    kind = next((k for k in UNSUPPORTED if getattr(message, k, None)), "other")
    return Inbound(**base, event=ev.Unsupported(kind))


def _text_event(text: str) -> ev.Event:
    if text.startswith("/"):
        head, _, arg = text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()  # /start@yimen_bot in a shared context
        if name:
            return ev.Command(name, arg.strip())
    return ev.Text(text)
