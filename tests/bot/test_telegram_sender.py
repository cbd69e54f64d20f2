"""The sender's marks: sends that finish together are committed together, and only then released."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from bot.telegram.sender import SentMarks

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


class CountingStore:
    """The database, counting the units of work it gives."""

    def __init__(self, database, *, fail: bool = False) -> None:
        self.database = database
        self.fail = fail
        self.units = 0

    def unit_of_work(self):
        self.units += 1
        if self.fail:
            raise ConnectionError("the database is away")
        return self.database.unit_of_work()


async def queued(database, count: int) -> list[int]:
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("telegram", "42", now=NOW)
        items = [
            await uow.outbox.add(
                resident_id=who.id, channel="telegram", address="42", kind="message", payload={}, at=NOW
            )
            for _ in range(count)
        ]
        await uow.commit()
    return items


async def test_marks_of_sends_finished_together_share_a_commit_and_return_once_committed(database):
    items = await queued(database, 6)
    store = CountingStore(database)
    marks = SentMarks(store, clock=lambda: NOW)

    async def mark(item: int) -> str:
        await marks.mark(item, str(item))
        async with database.unit_of_work() as uow:  # a mark returns only once it is committed
            return (await uow.outbox.get(item)).status

    assert await asyncio.gather(*(mark(i) for i in items)) == ["sent"] * 6
    assert store.units <= 2  # the first mark's commit, then everything that arrived meanwhile


async def test_a_mark_that_cannot_be_committed_fails_its_sender(database):
    (item,) = await queued(database, 1)
    marks = SentMarks(CountingStore(database, fail=True), clock=lambda: NOW, attempts=2)
    with pytest.raises(RuntimeError, match="could not be marked sent"):
        await marks.mark(item, "7")


async def test_two_senders_deliver_each_message_once_and_in_order(database, emulator):
    from telegram import Bot

    from bot.telegram.limits import FloodLimits
    from bot.telegram.sender import OutboxSender

    chats = [str(7000 + n) for n in range(6)]
    users = {chat: emulator.user(int(chat)) for chat in chats}
    async with database.unit_of_work() as uow:
        for chat in chats:
            who = await uow.residents.identify("telegram", chat, now=NOW)
            for n in range(8):
                await uow.outbox.add(resident_id=who.id, channel="telegram", address=chat, kind="message",
                                     payload={"key": "k", "text": f"{chat}-{n}", "html": False}, at=NOW)
        await uow.commit()
    stop = asyncio.Event()
    senders = []
    for owner in ("one", "two"):
        bot = Bot(emulator.token, base_url=f"{emulator.url}/bot", base_file_url=f"{emulator.url}/file/bot")
        await bot.initialize()
        limits = FloodLimits(per_chat_rate=9.0, overall_rate=100.0)  # each under the emulator's limits
        senders.append((bot, OutboxSender(database, bot, clock=lambda: NOW, limits=limits, owner=owner,
                                          idle_poll=0.05)))
    running = [asyncio.create_task(sender.run(stop)) for _, sender in senders]
    for _ in range(200):
        if all(len(users[c].sent()) >= 8 for c in chats):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # a second delivery would arrive by now
    assert not emulator.flood_violations
    stop.set()
    await asyncio.gather(*running)
    for bot, _ in senders:
        await bot.shutdown()
    for chat in chats:
        assert [m.text for m in users[chat].sent()] == [f"{chat}-{n}" for n in range(8)]


async def test_a_sender_with_a_share_of_the_rate_leases_only_what_it_sends_in_a_pass(database, emulator):
    """Given 2 messages a second, a pass leases 10 (five seconds' worth), not the whole outbox:
    another process's sender takes the rest rather than waiting for this one."""
    from sqlalchemy import func, select
    from telegram import Bot

    from backend.db.models import OutboxRow
    from bot.telegram.limits import FloodLimits
    from bot.telegram.sender import OutboxSender

    chats = [str(7100 + n) for n in range(30)]
    async with database.unit_of_work() as uow:
        for chat in chats:
            emulator.user(int(chat))
            who = await uow.residents.identify("telegram", chat, now=NOW)
            await uow.outbox.add(resident_id=who.id, channel="telegram", address=chat, kind="message",
                                 payload={"key": "k", "text": chat, "html": False}, at=NOW)
        await uow.commit()
    bot = Bot(emulator.token, base_url=f"{emulator.url}/bot", base_file_url=f"{emulator.url}/file/bot")
    await bot.initialize()
    sender = OutboxSender(database, bot, clock=lambda: NOW, limits=FloodLimits(overall_rate=2.0), owner="share")
    passing = asyncio.create_task(sender.drain_once())
    try:
        await asyncio.sleep(0.3)
        async with database.engine.connect() as connection:
            leased = await connection.scalar(select(func.count()).where(OutboxRow.leased_by == "share"))
        assert leased == 10
    finally:
        passing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await passing
        await bot.shutdown()
