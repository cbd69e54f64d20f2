"""Callback queries: answerCallbackQuery, once per query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api.errors import bad

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator

_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def answer_callback_query(emulator: BotApiEmulator, params: dict[str, Any]) -> bool:
    """answerCallbackQuery: once per query."""
    query_id = str(params.get("callback_query_id") or "")
    query = emulator._callback_queries.get(query_id)
    if query is None or query["answered"]:
        raise bad(_QUERY_TOO_OLD)
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad("MESSAGE_TOO_LONG")
    query["answered"] = True
    answer = {
        "callback_query_id": query_id,
        "text": text,
        "show_alert": bool(params.get("show_alert")),
        "url": params.get("url"),
        "cache_time": params.get("cache_time"),
    }
    emulator._callback_answers.append(answer)
    emulator._notify()
    return True
