"""`yimen serve` killed while a reply of a resident's was leased to it: the process started in
its place sends that reply within seconds, not after the 60 s lease of its dead predecessor."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from backend.db.models import OutboxRow
from tests.bot.test_delivery_exactly_once import wait_until
from tests.bot.test_telegram_process import start_serve
from tests.fakes.telegram_api import BotApiEmulator

# A few sends at Telegram's pace of one a second per chat, on a loaded machine: far below the lease.
WITHIN_SECONDS = 15


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as api:
        yield api


async def queued(database) -> list[tuple[str, str]]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxRow.payload, OutboxRow.status).where(OutboxRow.kind == "message").order_by(OutboxRow.id)
        )
        return [(payload["text"], status) for payload, status in rows]


async def test_a_restarted_bot_sends_the_replies_its_killed_predecessor_held_at_once(
    emulator, database, database_url, tmp_path
):
    # On PostgreSQL the dead process's leases end with it, whatever the new one is called; on
    # SQLite the new process takes them back as its own: it runs under the same instance name.
    env = {} if database.shared else {"YIMEN_INSTANCE": "bot-1"}
    user = emulator.user(7010, language_code="zh-hans")
    # Telegram takes the first reply but holds its answer back: the sender is stuck in that send,
    # with the chat's later replies leased behind it, when the process is killed.
    emulator.slow_seconds = 120
    emulator.fail_next("sendMessage", "slow")
    first = await start_serve(emulator, database_url, tmp_path, env)
    try:
        await user.send("/start")
        await wait_until(lambda: len(emulator.calls("sendMessage")) >= 1, 30, "the first reply sent")
        await wait_until(lambda: _all_leased(database), 10, "the replies leased")
    finally:
        first.kill()
        await first.wait()
    waiting = await queued(database)
    assert len(waiting) >= 2 and all(status == "pending" for _, status in waiting)

    second = await start_serve(emulator, database_url, tmp_path, env)
    loop = asyncio.get_running_loop()
    started = loop.time()  # the bot is up: from here its sender would wait out the lease
    try:
        await wait_until(lambda: _all_sent(database), WITHIN_SECONDS, "the waiting replies sent")
        took = loop.time() - started
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0
    assert took < WITHIN_SECONDS
    print(f"sent {took:.1f} s after the restarted bot started")
    texts = [text for text, _ in waiting]
    received = [message.text for message in user.sent()]
    # The first reply Telegram took before the kill, unmarked: it goes again (the one duplicate
    # Telegram leaves no way to avoid). Everything else once, in order.
    assert received == [texts[0], *texts]


async def _all_leased(database) -> bool:
    async with database.engine.connect() as connection:
        rows = (await connection.execute(select(OutboxRow.leased_by).where(OutboxRow.kind == "message"))).all()
    return len(rows) >= 2 and all(leased_by is not None for (leased_by,) in rows)


async def _all_sent(database) -> bool:
    return all(status == "sent" for _, status in await queued(database))
