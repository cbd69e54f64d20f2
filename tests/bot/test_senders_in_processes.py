"""Three `yimen serve` processes on one PostgreSQL database share the outbox: one is killed with
SIGKILL mid-batch, and still every chat's messages arrive in order, each once.

Each process sends under a lease and holds a presence lock while it runs (bot/outbox_loop.py);
the killed one's chats pass to the others the moment its connections close. The one duplicate
Telegram leaves no way to avoid is counted exactly: a message Telegram took from the killed
process before it could mark it sent (see test_delivery_exactly_once.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from backend.db.models import ChannelIdentityRow, OutboxRow, ResidentRow
from tests.bot.test_delivery_exactly_once import (
    FIRST_CHAT,
    nothing_pending,
    outbox,
    seen,
    telegram,  # noqa: F401 - the fixture
    wait_until,
)
from tests.bot.test_telegram_process import start_serve

PROCESSES = 3
RESIDENTS, PER_CHAT = 30, 8


async def test_three_sender_processes_keep_each_chats_order_and_send_each_item_once_with_one_killed(
    telegram, database, database_url, tmp_path  # noqa: F811 - the fixture
):
    if not database.shared:
        pytest.skip("several processes share one outbox only on PostgreSQL; SQLite serves a single process")
    backlog = RESIDENTS * PER_CHAT
    # Updates would come by webhook (none do here): no process polls Telegram against another.
    env = {"YIMEN_QUIET_HOURS": "00:00-00:00", "YIMEN_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook"}
    processes = [await start_serve(telegram, database_url, tmp_path, {**env, "YIMEN_INSTANCE": f"p{n}"})
                 for n in range(PROCESSES)]
    victim, survivors = processes[0], processes[1:]
    try:
        # Queued once all three run, a round at a time, so that they share the work from the start.
        await add_residents(database, telegram)
        queueing = asyncio.create_task(queue_rounds(database))
        await wait_until(lambda: sum(seen(telegram, RESIDENTS).values()) >= backlog // 3, 90, "a third sent")
        # Stopped first, so that what it holds can be read before it dies and its leases go.
        victim.send_signal(signal.SIGSTOP)
        held = await leased_unsent(database, "p0:telegram")
        victim.kill()
        await victim.wait()
        # Requests already on their way are still handled, their answers lost: let them land.
        with contextlib.suppress(TimeoutError):
            await wait_until(lambda: all(c.status is not None for c in telegram.calls("sendMessage")), 5,
                             "sends over")
        before = seen(telegram, RESIDENTS)
        await queueing
        await wait_until(lambda: nothing_pending(database), 120, "everything sent")
    finally:
        if victim.returncode is None:  # the test failed before the kill
            victim.kill()
            await victim.wait()
        for process in survivors:
            process.send_signal(signal.SIGTERM)
        for process in survivors:
            assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    assert held, "the killed process held no chat: it was not killed mid-batch"

    rows = await outbox(database)
    assert len(rows) == backlog and {status for *_, status in rows} == {"sent"}
    # Telegram holds these from the killed process, which never marked them sent: they go again.
    in_doubt = {(chat, text) for item, chat, text, _ in rows if item in held and before[(chat, text)]}
    expected = Counter((chat, text) for _, chat, text, _ in rows)
    got = seen(telegram, RESIDENTS)
    assert {k: v for k, v in got.items() if k not in in_doubt} == {
        k: v for k, v in expected.items() if k not in in_doubt}, "a resident missed a message or saw one twice"
    assert all(got[k] in (1, 2) for k in in_doubt)
    assert len(in_doubt) <= 32  # at most the sends in flight at the kill
    # Each chat's messages in the order they were written (a second copy right after the first).
    written: defaultdict[str, list[str]] = defaultdict(list)
    for _, chat, text, _ in rows:
        written[chat].append(text)
    for n in range(RESIDENTS):
        chat = str(FIRST_CHAT + n)
        received = [message.text or "" for message in telegram.sent(FIRST_CHAT + n)]
        assert list(dict.fromkeys(received)) == written[chat], f"chat {chat} out of order"
    senders = {leased_by for (leased_by,) in await owners(database)}
    assert {"p1:telegram", "p2:telegram"} <= senders  # the survivors took over


async def add_residents(database, emulator) -> None:
    now = datetime.now(UTC)
    for n in range(RESIDENTS):
        emulator.user(FIRST_CHAT + n)
    async with database.engine.begin() as connection:
        await connection.execute(insert(ResidentRow), [
            {"id": f"r{n}", "locale": "zh_CN", "created_at": now} for n in range(RESIDENTS)])
        await connection.execute(insert(ChannelIdentityRow), [
            {"resident_id": f"r{n}", "channel": "telegram", "external_id": str(FIRST_CHAT + n), "created_at": now}
            for n in range(RESIDENTS)])


async def queue_rounds(database) -> None:
    """A message to every chat per round, each round committed before the next: the outbox ids
    of a chat's messages are the order they were written."""
    for round_ in range(PER_CHAT):
        async with database.unit_of_work() as uow:
            for n in range(RESIDENTS):
                await uow.outbox.add(resident_id=f"r{n}", channel="telegram", address=str(FIRST_CHAT + n),
                                     kind="message", payload={"text": f"message {round_} to {n}"},
                                     at=datetime.now(UTC))
            await uow.commit()
        await asyncio.sleep(0.3)


async def leased_unsent(database, owner: str) -> set[int]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxRow.id).where(OutboxRow.leased_by == owner, OutboxRow.status != "sent")
        )
        return {item for (item,) in rows}


async def owners(database) -> list[tuple[str | None]]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(select(OutboxRow.leased_by).distinct())).all())
