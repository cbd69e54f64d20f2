"""The Telegram webhook route on the project's aiohttp application."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.telegram.service import TelegramBot

log = logging.getLogger(__name__)
PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_webhook_route(app: web.Application, bot: TelegramBot, secret: str | None) -> None:
    """POST /telegram/webhook: 403 without the right secret header, else 200 once the update is handled."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if secret and not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook call refused: wrong or missing secret token")
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict) or "update_id" not in data:
            return web.Response(status=400, text="not an update")
        await bot.feed(data)
        return web.Response(text="ok")

    app.router.add_post(PATH, receive)
