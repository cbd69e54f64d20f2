"""Choices without inline buttons: numbered lines answered by number or text (as the terminal
does), or a customer-service menu (msgmenu) whose taps come back with the item's id.

Where typed text is itself an answer (an amount), options are lettered so that "1" stays one
yuan. A menu item's id is the prompt's outbox id and the option's index, so a tap on an old
menu is recognised as stale exactly as an old Telegram button is.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import cn2an

from locales import Translations

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Menu ids are <outbox id><two digits of index>: a prompt offers far fewer than 100 options.
_INDEX_DIGITS = 100


def buttons_of(payload: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(str(v), str(label), bool(sel)) for v, label, sel in payload.get("buttons") or []]


HINT, HINT_LETTERED = "wechat.choose_hint", "wechat.choose_hint_lettered"


def numbered_text(payload: dict[str, object], hints: Translations | None = None) -> str:
    """The message's text with its options as numbered (or lettered) lines under it, and with
    ``hints``, a line in the message's language that says how to answer (nothing is tapped here)."""
    buttons = buttons_of(payload)
    text = str(payload.get("text") or "")
    if not buttons:
        return text
    lettered = bool(payload.get("free_text"))
    lines = [f"{LETTERS[i] if lettered else i + 1}. {'✓ ' if selected else ''}{label}"
             for i, (_, label, selected) in enumerate(buttons)]
    if hints is not None:
        lines.append(hints(str(payload.get("locale") or "") or None).render(HINT_LETTERED if lettered else HINT))
    return text + "\n\n" + "\n".join(lines)


def menu_id(prompt_id: int, index: int) -> str:
    return str(prompt_id * _INDEX_DIGITS + index)


def parse_menu_id(value: str) -> tuple[int, int] | None:
    """A msgmenu item's id as (prompt, index), or None for one that is no id of ours."""
    if not value.isdigit() or len(value) > 18:
        return None
    prompt, index = divmod(int(value), _INDEX_DIGITS)
    return prompt, index


def msgmenu(prompt_id: int, payload: dict[str, object]) -> dict[str, object]:
    """The customer-service menu message's body (``msgmenu``) for a prompt with buttons."""
    return {
        "head_content": str(payload.get("text") or ""),
        "list": [{"id": menu_id(prompt_id, i), "content": ("✓ " if selected else "") + label}
                 for i, (_, label, selected) in enumerate(buttons_of(payload))],
        "tail_content": "",
    }


def chosen_index(text: str, payload: dict[str, object]) -> int | None:
    """Which option a typed (or spoken) answer picks: its number (its letter where typed text is an
    answer), or its text; None when it picks none and is an answer of its own."""
    buttons = buttons_of(payload)
    if not buttons:
        return None
    key = unicodedata.normalize("NFKC", text).strip().lower()
    if payload.get("free_text"):
        if len(key) == 1 and key in LETTERS[: len(buttons)]:
            return LETTERS.index(key)
    else:
        number = _number(key)
        if number is not None and 1 <= number <= len(buttons):
            return number - 1
    for i, (_, label, _) in enumerate(buttons):
        if unicodedata.normalize("NFKC", label).strip().lower() == key:
            return i
    return None


def _number(key: str) -> int | None:
    key = key.rstrip(".、")
    if key.isdigit():
        return int(key)
    if 0 < len(key) <= 3:  # "三", "第三" said aloud
        try:
            value = cn2an.cn2an(key.removeprefix("第"), "strict")
        except (ValueError, KeyError):
            return None
        return int(value) if float(value).is_integer() else None
    return None
