"""Request parameters as Telegram reads them: query string and body decoded, fields typed."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from tests.fakes.telegram_api.errors import bad

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


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and the body (JSON, url-encoded or multipart), decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.read()
        if body:
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                raise bad("can't parse JSON encoded request parameters") from exc
            if not isinstance(decoded, dict):
                raise bad("can't parse JSON encoded request parameters")
            raw.update(decoded)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key in form:
            raw[key] = form[key]
    params: dict[str, Any] = {}
    for key, value in raw.items():
        params[key] = coerce(key, value)
    return params


def coerce(key: str, value: Any) -> Any:
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
                raise bad("can't parse reply keyboard markup JSON object") from exc
            raise bad(f"can't parse {key} JSON object") from exc
    if key == "chat_id":
        with contextlib.suppress(ValueError):
            return int(value)
        return value
    if key in _INT_FIELDS:
        try:
            return int(value)
        except ValueError as exc:
            raise bad(f"invalid {key} specified") from exc
    if key in _FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError as exc:
            raise bad(f"invalid {key} specified") from exc
    if key in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


def loggable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters with uploaded bytes replaced by their size."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict) and value.get("upload") is True:
            size = len(value["data"])
            shown[key] = {"filename": value["filename"], "mime_type": value["mime_type"], "size": size}
        else:
            shown[key] = value
    return shown
