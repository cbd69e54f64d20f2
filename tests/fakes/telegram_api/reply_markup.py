"""Reply markup (inline and reply keyboards) checked as Telegram checks it."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram_api.errors import bad

_MAX_CALLBACK_DATA = 64


def check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate reply_markup as Telegram does; return it (or None)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array")
        if sum(len(row) for row in rows) > 100:
            raise bad("reply markup is too long")
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
                    raise bad("can't parse inline keyboard button: Text must be non-empty")
                if not any(key in button for key in actions):
                    raise bad("text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= _MAX_CALLBACK_DATA:
                        raise bad("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = str(button["url"])
                    if not re.match(r"^(https?|tg)://\S+$", url):
                        raise bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
            raise bad("keyboard must be non-empty")
        for row in rows:
            for button in row:
                label = button if isinstance(button, str) else (button or {}).get("text")
                if not label:
                    raise bad("can't parse keyboard button: Text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad("can't parse reply keyboard markup JSON object")
