"""The bots benchmarks/telegram.py measures: Yimen's own, and the ones it is measured against:
python-telegram-bot's echo bot (with its default request, or with Yimen's aiohttp one) and a
"buttons bot" that makes the Bot API calls Yimen makes for the same actions and does no work of
its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from backend.config import Config
from bot.app import open_runtime
from bot.telegram.service import TelegramBot, TelegramSettings
from bot.telegram.transport import AiohttpRequest
from locales import Translations

TOKEN = "123456:BENCH"
POLL_TIMEOUT = 1
# Far above anything the run reaches: the limits are enforced but never bind.
CHAT_RATE, CHAT_BURST = 1_000.0, 100.0
GLOBAL_RATE, GLOBAL_BURST = 100_000.0, 100_000.0
# The echo bot with python-telegram-bot's default request (httpx), and with Yimen's (aiohttp).
ECHO_KINDS = ("echo", "echo-aiohttp")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.message is not None
    await context.bot.send_message(update.effective_chat.id, update.message.text)


# The buttons bot offers this many buttons under every reply (more than any question of the intake has).
BUTTONS = 8


def _keyboard() -> InlineKeyboardMarkup:
    keys = [InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(BUTTONS)]
    return InlineKeyboardMarkup([keys[i:i + 4] for i in range(0, BUTTONS, 4)])


async def button_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message: echoed, with buttons under it."""
    message = update.message
    assert update.effective_chat is not None and message is not None
    text = message.text or (message.contact.phone_number if message.contact else "?")
    await context.bot.send_message(update.effective_chat.id, f"{update.update_id}. {text}", reply_markup=_keyboard())


async def button_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press, handled as a bot with buttons must: answered, the pressed message shows the choice
    and loses its buttons, and the answer comes in a new message, with buttons."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None and isinstance(query.message, Message)
    await query.answer()
    await query.edit_message_text(f"{query.message.text}\n\n✓ {query.data}", reply_markup=None)
    await context.bot.send_message(update.effective_chat.id, f"{update.update_id}. pressed {query.data}",
                                   reply_markup=_keyboard())


async def start_minimal(url: str, kind: str) -> Callable[[], Awaitable[None]]:
    """A minimal python-telegram-bot bot, polling, handling updates concurrently: the echo bot (with
    PTB's default request, or with Yimen's aiohttp one as TelegramBot sets it up), or the buttons bot
    that makes the Bot API calls Yimen makes for the same actions."""
    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .concurrent_updates(True)
    )
    if kind == "echo-aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
    app = builder.build()
    if kind in ECHO_KINDS:
        app.add_handler(MessageHandler(filters.TEXT, echo))
    else:
        app.add_handler(MessageHandler(filters.TEXT | filters.CONTACT, button_echo))
        app.add_handler(CallbackQueryHandler(button_press))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)

    async def stop() -> None:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


async def start_yimen(url: str, database_url: str, tmp: str) -> Callable[[], Awaitable[None]]:
    """The real Yimen bot, polling, over a migrated database."""
    config = Config(database_url=database_url, locale="zh_CN", data_dir=Path(tmp), secret_key=b"benchmark")
    runtime = await open_runtime(config, migrate=True, html_translations=Translations(html=True))
    settings = TelegramSettings(
        token=TOKEN,
        api_base_url=url,
        poll_timeout=POLL_TIMEOUT,
        per_chat_rate=CHAT_RATE,
        per_chat_burst=CHAT_BURST,
        overall_rate=GLOBAL_RATE,
    )
    bot = TelegramBot(runtime.conversations, settings)
    await bot.start()

    async def stop() -> None:
        await bot.stop()
        await runtime.close()

    return stop
