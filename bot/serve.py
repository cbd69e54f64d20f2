"""``yimen serve``: the web application and, when configured, the Telegram bot, until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web

from backend.config import Config
from backend.web import init_app
from bot.app import open_runtime
from locales import Translations

log = logging.getLogger(__name__)

TELEGRAM_OFF = (
    "Telegram is off: no TELEGRAM_BOT_TOKEN is set.\n"
    "To turn it on, set TELEGRAM_BOT_TOKEN to the token from @BotFather, and optionally\n"
    "TELEGRAM_API_BASE_URL (another Bot API server), YIMEN_WEBHOOK_URL and YIMEN_WEBHOOK_SECRET\n"
    "(receive updates by webhook at /telegram/webhook instead of polling)."
)


async def serve(config: Config, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (by SIGTERM or SIGINT when not given)."""
    stop = stop or _stop_on_signals()
    runtime = await open_runtime(config, html_translations=Translations(html=True))
    app = init_app(runtime.config, database=runtime.database)
    bot = None
    if config.telegram_token:
        from bot.telegram.service import TelegramBot, TelegramSettings
        from bot.telegram.webhook import add_webhook_route

        bot = TelegramBot(
            runtime.conversations,
            TelegramSettings(
                token=config.telegram_token,
                api_base_url=config.telegram_api_base_url,
                webhook_url=config.webhook_url,
                webhook_secret=config.webhook_secret,
            ),
        )
        if config.webhook_url:
            add_webhook_route(app, bot, config.webhook_secret)
    else:
        print(TELEGRAM_OFF, file=sys.stderr)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, config.http_host, config.http_port)
    await site.start()
    print(f"yimen: listening on http://{config.http_host}:{config.http_port}", file=sys.stderr, flush=True)
    try:
        if bot is not None:
            await bot.start()
            print("yimen: telegram bot started", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        if bot is not None:
            await bot.stop()
        await runner.cleanup()
        await runtime.close()
        print("yimen: stopped", file=sys.stderr, flush=True)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
