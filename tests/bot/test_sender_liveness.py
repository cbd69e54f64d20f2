"""A sender's leases end with it: at once on PostgreSQL (its presence is gone with its process),
and for a process started again under the same instance name, on either database."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from backend.db.database import Database
from backend.store.outbox import Lease, presence_name
from bot.outbox_loop import AtMostEvery, poll_outbox, present, sender_owner

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
log = logging.getLogger(__name__)


async def queue(database: Database, *addresses: str) -> None:
    async with database.unit_of_work() as uow:
        for address in addresses:
            await uow.outbox.add(resident_id=None, channel="telegram", address=address, kind="message",
                                 payload={"text": "hello"}, at=NOW)
        await uow.commit()


async def lease(database: Database, owner: str, at: datetime = NOW) -> list[str]:
    """What a pass of the sender ``owner`` takes: the addresses it leased."""
    async with database.unit_of_work() as uow:
        due = await uow.outbox.due("telegram", now=at, lease=Lease(owner, LEASE))
        await uow.commit()
    return [item.address for item in due]


@pytest.fixture
def postgres(database: Database) -> Database:
    if not database.shared:
        pytest.skip("a sender's presence is a PostgreSQL advisory lock; SQLite serves one process")
    return database


async def test_a_sender_back_under_its_instance_name_takes_its_leases_at_once(database):
    await queue(database, "1", "2")
    owner = sender_owner("telegram", "host-a:8080")
    assert owner == "host-a:8080:telegram"
    async with database.presence(presence_name(owner)):
        assert await lease(database, owner) == ["1", "2"]
    # Killed before sending; its successor is another process with the same name, a second later.
    # Until then, on SQLite another name waits out the lease; on PostgreSQL the owner is dead.
    others_see = ["1", "2"] if database.shared else []
    assert await lease(database, "someone-else", NOW + timedelta(seconds=1)) == others_see
    async with database.presence(presence_name(owner)):
        assert await lease(database, owner, NOW + timedelta(seconds=1)) == ["1", "2"]


async def test_a_dead_senders_leases_are_free_at_once_and_a_live_ones_are_not(postgres, database_url):
    await queue(postgres, "1", "2")
    other = Database(database_url)  # another process's pool
    await other.connect()
    try:
        async with present(other, "host-b:8081:telegram", log) as alive:
            assert await lease(other, alive.owner) == ["1", "2"]
            assert await lease(postgres, "host-c:8082:telegram") == []  # alive: its leases hold
        # The process is gone (its session, and the lock with it): no need to wait out the lease.
        assert await lease(postgres, "host-c:8082:telegram", NOW + timedelta(seconds=1)) == ["1", "2"]
    finally:
        await other.dispose()


async def test_two_live_processes_given_one_name_never_lease_as_one(postgres, database_url, caplog):
    other = Database(database_url)
    await other.connect()
    try:
        async with present(postgres, "twin:telegram", log) as one, present(other, "twin:telegram", log) as two:
            first, second = one.owner, two.owner
            assert first == "twin:telegram"
            assert second.startswith("twin:telegram:") and second != first
            await queue(postgres, "1")
            assert await lease(postgres, first) == ["1"]
            assert await lease(other, second) == []
        assert "another live process sends as this instance" in caplog.text
    finally:
        await other.dispose()


async def _backend_holding(database: Database, name: str) -> int | None:
    """The server session holding the presence ``name``, if any."""
    async with database.engine.connect() as connection:
        result = await connection.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
            "((classid::bigint << 32) | objid::bigint) = hashtextextended(:name, 0)"), {"name": name})
        row = result.first()
    return None if row is None else int(row[0])


async def _terminate(database: Database, pid: int, name: str) -> None:
    """End a server session, and wait until its locks are gone (the server ends it a moment later)."""
    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    for _ in range(500):
        if await _backend_holding(database, name) != pid:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"session {pid} still holds {name}")


async def test_a_presence_whose_connection_was_lost_is_taken_again_unless_another_took_the_name(
    postgres, database_url
):
    name = presence_name("host-d:8083:telegram")
    async with postgres.presence(name) as presence:
        assert presence and await presence.confirm()
        first = await _backend_holding(postgres, name)
        assert first is not None
        # The server ends the session (a restart, a dropped network): others see the process gone.
        await _terminate(postgres, first, name)
        assert await _backend_holding(postgres, name) is None
        assert await presence.confirm()  # the name taken again, on a new connection
        again = await _backend_holding(postgres, name)
        assert again is not None and again != first
        # Lost again, and meanwhile another process took the name: this one is not present.
        await _terminate(postgres, again, name)
        other = Database(database_url)
        await other.connect()
        try:
            async with other.presence(name) as theirs:
                assert theirs
                assert not await presence.confirm()
        finally:
            await other.dispose()


async def test_a_sender_makes_no_pass_while_it_is_not_present():
    passes: list[str] = []
    present_now = [True, False, False, True]
    stop = asyncio.Event()

    async def drain_once() -> int:
        passes.append("pass")
        if passes.count("pass") == 2:
            stop.set()
        return 0

    async def present() -> bool:
        passes.append("present" if present_now.pop(0) else "absent")
        return passes[-1] == "present"

    await asyncio.wait_for(poll_outbox(drain_once, asyncio.Event(), stop, idle_poll=0.01, log=log, present=present),
                           timeout=5)
    # Absent twice: no pass in between; the last pass at stop is the shutdown's, which sends what
    # this process's last turns queued.
    assert passes == ["present", "pass", "absent", "absent", "present", "pass", "pass"]


async def test_a_busy_sender_confirms_its_presence_again_only_after_its_interval_and_at_once_after_a_miss():
    answers = [True, False, True]
    asked: list[bool] = []

    async def confirm() -> bool:
        asked.append(answers.pop(0))
        return asked[-1]

    present = AtMostEvery(3600, confirm)
    assert await present() and await present() and await present()  # one question, then its answer kept
    present = AtMostEvery(0.0, confirm)
    assert not await present()
    assert await present()  # asked again at once after a False
    assert asked == [True, False, True]
