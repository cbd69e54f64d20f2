"""Two runners on one PostgreSQL database, as two processes behind a load balancer would be:
updates of the same chats reach both, interleaved, and each chat's turns still run once each and
in update order (bot/runner/inbound.py)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.db.database import Database
from backend.db.models import ChannelIdentityRow, InboundArrivalRow
from bot.runner import Conversations
from bot.runner.inbound import arrived, settled
from flows import events as ev

CHATS = 4
UPDATES_PER_CHAT = 15


def recording(conversations: Conversations, seen: list[tuple[str, str]]) -> None:
    """Note each turn as it starts: it runs under the chat's lock, so the notes are in turn order."""
    run = conversations.turns.run

    async def noted(message, out, **kwargs):
        assert isinstance(message.event, ev.Text)
        seen.append((message.external_id, message.event.text))
        await run(message, out, **kwargs)

    conversations.turns.run = noted  # type: ignore[method-assign]


@pytest.fixture
async def second_database(database: Database, database_url: str):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several processes share a database server only; SQLite serves one process (role all)")
    other = Database(database_url)
    await other.connect()
    yield other
    await other.dispose()


async def test_two_runners_keep_each_chats_order_and_run_each_update_once(
    database, second_database, make_conversations
):
    runners = [make_conversations(database), make_conversations(second_database)]
    seen: list[tuple[str, str]] = []
    for runner in runners:
        recording(runner, seen)
    # Telegram's update ids grow across all chats; the chats' updates are shuffled together.
    plan = [(chat, n) for chat in range(CHATS) for n in range(UPDATES_PER_CHAT)]
    random.Random(22).shuffle(plan)
    per_chat: defaultdict[int, list[int]] = defaultdict(list)
    # Each process runs a chat's updates one after another, as ChatOrderedProcessor does.
    in_process = {(r, chat): asyncio.Lock() for r in range(2) for chat in range(CHATS)}

    recorded = {update_id: asyncio.Event() for update_id in range(len(plan) + 1)}
    recorded[0].set()

    async def deliver(update_id: int, chat: int, which: int) -> None:
        # Arrival order is update order: each update arrives once the one before is on record.
        # What the design promises: a chat's updates run in the order their arrivals were
        # recorded (an update that reaches a process after a later one's turn has begun is
        # answered late, not lost: the next test).
        await recorded[update_id - 1].wait()
        # As ChatOrderedProcessor does: the arrival is recorded before the update queues behind
        # the chat's earlier ones in its process, and settled once it is done.
        database = runners[which].database
        arrival = asyncio.ensure_future(arrived(database, "telegram", str(chat), update_id))
        arrival.add_done_callback(lambda _: recorded[update_id].set())
        async with in_process[(which, chat)]:
            await arrival
            # A process busy elsewhere gets to an update a while after it arrived.
            await asyncio.sleep(random.Random(-update_id).random() * 0.05)
            await runners[which].handle("telegram", str(chat), ev.Text(f"u{update_id}"), inbound_id=update_id,
                                        outbox=True)
        await settled(database, "telegram", str(chat), update_id)

    tasks = []
    for update_id, (chat, _) in enumerate(plan, start=1):
        per_chat[chat].append(update_id)
        # Two in a row of one chat often go to different processes, as behind a round robin.
        which = random.Random(update_id).randrange(2)
        tasks.append(deliver(update_id, chat, which))
    await asyncio.gather(*tasks)

    for chat, updates in per_chat.items():
        turns = [text for external_id, text in seen if external_id == str(chat)]
        assert turns == [f"u{u}" for u in updates], f"chat {chat}: {turns} {updates}"
    async with database.unit_of_work() as uow:
        for chat, updates in per_chat.items():
            assert await uow.residents.last_inbound("telegram", str(chat)) == updates[-1]
    async with database.engine.connect() as connection:
        pending = await connection.scalar(select(InboundArrivalRow.inbound_id).where(InboundArrivalRow.done.is_(False)))
        identities = (await connection.execute(select(ChannelIdentityRow.external_id))).all()
    assert pending is None
    assert len(identities) == CHATS


async def test_a_redelivered_update_runs_no_second_turn_and_a_late_one_is_not_lost(
    database, second_database, make_conversations
):
    first, second = make_conversations(database), make_conversations(second_database)
    seen: list[tuple[str, str]] = []
    recording(first, seen)
    recording(second, seen)
    await first.handle("telegram", "7", ev.Text("u10"), inbound_id=10, outbox=True)
    await second.handle("telegram", "7", ev.Text("u10"), inbound_id=10, outbox=True)  # redelivered
    # 11 reached its process, but its arrival was on record only after 12's turn had begun: it is
    # answered late rather than dropped as "older than the cursor", and only once.
    await first.handle("telegram", "7", ev.Text("u12"), inbound_id=12, outbox=True)
    await arrived(second_database, "telegram", "7", 11)
    await second.handle("telegram", "7", ev.Text("u11"), inbound_id=11, outbox=True)
    await first.handle("telegram", "7", ev.Text("u11"), inbound_id=11, outbox=True)  # redelivered
    await second.handle("telegram", "7", ev.Text("u12"), inbound_id=12, outbox=True)  # redelivered
    await second.handle("telegram", "7", ev.Text("u9"), inbound_id=9, outbox=True)  # never recorded: redelivered
    assert [text for _, text in seen] == ["u10", "u12", "u11"]
    async with database.unit_of_work() as uow:
        assert await uow.residents.last_inbound("telegram", "7") == 12


async def test_an_earlier_update_lost_with_its_process_holds_the_next_one_up_no_longer_than_the_patience(
    database, second_database, make_conversations, monkeypatch
):
    from bot.runner import inbound

    monkeypatch.setattr(inbound, "PATIENCE", timedelta(seconds=0.5))
    runner = make_conversations(database)
    seen: list[tuple[str, str]] = []
    recording(runner, seen)
    # 20 arrived at a process that died before its turn: its record stays, never done.
    await arrived(second_database, "telegram", "8", 20)
    started = time.monotonic()
    await runner.handle("telegram", "8", ev.Text("u21"), inbound_id=21, outbox=True)
    waited = time.monotonic() - started
    assert seen == [("8", "u21")]
    assert 0.4 <= waited < 3


async def test_an_update_waits_for_a_missing_earlier_number_to_arrive_then_for_it_to_be_done(
    database, second_database
):
    from bot.runner.inbound import arrive_in_order

    # Updates 1–29 of other chats have arrived; chat 9's update 30 is still on its way to the first
    # process when its update 31 reaches the second, over another of the webhook's connections.
    for number in range(1, 30):
        await arrived(database, "telegram", str(100 + number), number)
    ready = asyncio.create_task(
        arrive_in_order(second_database, "telegram", "9", 31, window=40, gap_patience=10.0)
    )
    await asyncio.sleep(0.3)
    assert not ready.done()  # 30 is missing
    await arrived(database, "telegram", "9", 30)
    await asyncio.sleep(0.3)
    assert not ready.done()  # 30 is chat 9's and not done
    await settled(database, "telegram", "9", 30)
    await asyncio.wait_for(ready, timeout=3)


async def test_a_number_that_never_arrives_holds_the_next_update_up_no_longer_than_the_gap_patience(
    database, second_database
):
    from bot.runner.inbound import arrive_in_order

    await arrived(database, "telegram", "5", 40)
    started = time.monotonic()
    await arrive_in_order(second_database, "telegram", "6", 42, window=40, gap_patience=0.5)  # 41 never comes
    assert 0.4 <= time.monotonic() - started < 3
