"""A message the bot sent, as the simulated user sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
