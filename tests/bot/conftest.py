"""A conversation runner over the test database, with a fake clock and counted ids."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from backend.config import Config
from backend.db.database import Database
from bot.app import build_conversations
from bot.runner import Conversations
from bot.telegram.service import TelegramBot, TelegramSettings
from locales import Translations
from tests.fakes.clock import Counter, FakeClock
from tests.fakes.telegram_api import BotApiEmulator


@pytest.fixture(scope="session")
def translations() -> Translations:
    return Translations()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config(
        database_url=database_url,
        locale="zh_CN",
        data_dir=tmp_path / "data",
        secret_key=b"test-key",
        max_document_bytes=64 * 1024,
    )


@pytest.fixture
def make_conversations(
    config: Config, clock: FakeClock, translations: Translations
) -> Callable[[Database], Conversations]:
    """Build a runner over a database: a new one per call, as after a process restart."""
    ids = Counter("doc")

    def make(database: Database) -> Conversations:
        return build_conversations(config, database, clock=clock, new_id=ids, translations=translations)

    return make


@pytest.fixture
def conversations(database: Database, make_conversations) -> Conversations:
    return make_conversations(database)


# Telegram allows about one message a second per chat. A whole application then takes a
# minute, so these tests run the emulator's limits and the bot's ten times faster, together.
FAST_CHAT_RATE = 10.0


def fast(settings: TelegramSettings) -> TelegramSettings:
    return dataclasses.replace(settings, per_chat_rate=FAST_CHAT_RATE, overall_rate=300.0)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    api = BotApiEmulator()
    api.chat_rate = FAST_CHAT_RATE
    api.global_rate = api.global_burst = 300.0
    async with api:
        yield api


@pytest.fixture
def telegram_conversations(database, config, clock, translations):
    from bot.app import build_conversations

    return build_conversations(
        config, database, clock=clock, translations=translations, html_translations=Translations(html=True)
    )


async def run_bot(conversations, settings: TelegramSettings) -> TelegramBot:
    bot = TelegramBot(conversations, settings)
    await bot.start()
    return bot


@pytest.fixture
async def polling_bot(emulator, telegram_conversations) -> AsyncIterator[TelegramBot]:
    bot = await run_bot(
        telegram_conversations,
        fast(TelegramSettings(token=emulator.token, api_base_url=emulator.url, poll_timeout=1)),
    )
    try:
        yield bot
    finally:
        await bot.stop()
