"""Yimen's WeChat channel on a real HTTP server, and the platform emulator pushing to it."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from backend.wechat_config import WeChatConfig
from bot.app import build_conversations
from bot.wechat.api import WeChatApi
from bot.wechat.channel import WeChatChannel
from tests.fakes.wechat_api import WeChatEmulator

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture
def safe_mode() -> bool:
    return False


@pytest.fixture
async def platform(safe_mode: bool) -> AsyncIterator[WeChatEmulator]:
    emulator = WeChatEmulator(aes_key=AES_KEY if safe_mode else None)
    # Tests do not wait WeChat's 5 seconds for a late answer.
    emulator.push_timeout = 2.0
    async with emulator:
        yield emulator


@pytest.fixture
def wechat_config(platform: WeChatEmulator) -> WeChatConfig:
    return WeChatConfig(app_id=platform.app_id, app_secret=platform.app_secret, token=platform.token,
                        aes_key=platform.aes_key, api_base_url=platform.url,
                        templates={"status_changed": "TPL_STATUS", "*": "TPL_ANY"})


@pytest.fixture
def wechat_conversations(database, config, clock, translations):
    return build_conversations(config, database, clock=clock, translations=translations)


async def serve_channel(platform: WeChatEmulator, channel: WeChatChannel) -> TestServer:
    app = web.Application()
    channel.add_routes(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    platform.server_url = str(server.make_url("/wechat"))
    await channel.start()
    return server


def make_channel(conversations, wechat_config: WeChatConfig, **options) -> WeChatChannel:
    api = WeChatApi(wechat_config, conversations.database, backoff=0.01)
    return WeChatChannel(conversations, wechat_config, api=api, idle_poll=0.05, **options)


@contextlib.asynccontextmanager
async def running_channel(platform: WeChatEmulator, conversations, wechat_config: WeChatConfig,
                          **options) -> AsyncIterator[WeChatChannel]:
    """A channel served on loopback for the emulator to push to, stopped however the test ends."""
    wechat = make_channel(conversations, wechat_config, **options)
    server = await serve_channel(platform, wechat)
    try:
        yield wechat
    finally:
        await wechat.stop()
        await server.close()


@pytest.fixture
async def channel(platform, wechat_conversations, wechat_config) -> AsyncIterator[WeChatChannel]:
    async with running_channel(platform, wechat_conversations, wechat_config, reply_window=1.5) as wechat:
        yield wechat


def with_msgmenu(config: WeChatConfig) -> WeChatConfig:
    return dataclasses.replace(config, msgmenu=True)
