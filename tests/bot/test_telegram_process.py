"""`yimen serve` as a real process: killed with SIGKILL mid-conversation, started again."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import unused_port
from sqlalchemy import select

from backend.db.models import OutboxRow
from tests.bot import serve_process
from tests.bot.telegram_driver import Tap, act, session_state, settled
from tests.fakes.telegram_api import BotApiEmulator


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as api:
        yield api


async def start_serve(
    emulator: BotApiEmulator, database_url: str, tmp_path, extra_env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.url,
        "YIMEN_DATABASE_URL": database_url,
        "YIMEN_DATA_DIR": str(tmp_path / "data"),
        "YIMEN_SECRET_KEY": "test-key",
        "YIMEN_HTTP_PORT": str(unused_port()),
        **(extra_env or {}),
    }
    return await serve_process.start_serve(env, ready=b"telegram bot started", timeout=30)


async def test_a_killed_bot_resumes_the_conversation_losing_nothing_and_repeating_nothing(
    emulator, database, database_url, tmp_path
):
    user = emulator.user(7007, language_code="zh-hans")
    first = await start_serve(emulator, database_url, tmp_path)
    try:
        for action in ("/start", Tap(0), "张三"):
            await act(emulator, database, user, action)
    finally:
        first.kill()  # SIGKILL: no chance to clean up
        await first.wait()
    assert await session_state(database, user) == "id_number"
    # The resident writes while the bot is down; the update waits at Telegram.
    await user.send("110105198001010016")
    waiting_for = emulator.last_update_id
    second = await start_serve(emulator, database_url, tmp_path)
    try:
        await settled(database, user, waiting_for)
        assert await session_state(database, user) == "mobile"
        await act(emulator, database, user, "13800138000")
        assert await session_state(database, user) == "office"
    finally:
        second.send_signal(signal.SIGTERM)  # graceful this time
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0
    async with database.engine.connect() as connection:
        queued = (
            await connection.execute(
                select(OutboxRow.payload, OutboxRow.status).where(OutboxRow.kind == "message").order_by(OutboxRow.id)
            )
        ).all()
    assert all(status == "sent" for _, status in queued)
    # Every reply exactly once, in the order written, across the kill.
    sent = [(m.plain_text or "").split("\n\n✓")[0] for m in user.sent()]
    assert sent == [payload["text"] for payload, _ in queued]
