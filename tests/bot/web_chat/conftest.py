"""The web chat on the project's aiohttp application (as ``yimen serve`` mounts it), over the test
database, with browsers that manage their own cookies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.web import init_app
from bot.app import build_conversations
from bot.runner import Conversations
from bot.web_chat.routes import WebChat
from locales import Translations
from tests.bot.web_chat.browser import Browser


@pytest.fixture
def chat_conversations(database, config, clock, translations) -> Conversations:
    """The runner as ``yimen serve`` wires it: with HTML catalogs, which Telegram and the web share."""
    return build_conversations(config, database, clock=clock, translations=translations,
                               html_translations=Translations(html=True))


@pytest.fixture
async def client(chat_conversations, config, database, clock) -> AsyncIterator[TestClient]:
    app = init_app(config, database=database, clock=clock)
    WebChat(chat_conversations, secret=config.secret_key).add_routes(app)
    async with TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar()) as test_client:
        yield test_client


@pytest.fixture
def browser(client) -> Callable[..., Browser]:
    """A new browser: ``browser(language="en")``."""

    def make(**kw) -> Browser:
        return Browser(client, **kw)

    return make


@pytest.fixture
async def telegram_web(telegram_conversations, config, database, clock) -> AsyncIterator[Callable[..., Browser]]:
    """Browsers on a web chat that shares its runner with the Telegram bot of ``polling_bot``."""
    app = init_app(config, database=database, clock=clock)
    WebChat(telegram_conversations, secret=config.secret_key).add_routes(app)
    async with TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar()) as test_client:
        yield lambda **kw: Browser(test_client, **kw)
