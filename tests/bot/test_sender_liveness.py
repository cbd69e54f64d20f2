"""A sender's leases end with it: at once on PostgreSQL (its presence is gone with its process),
and for a process started again under the same instance name, on either database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from backend.db.database import Database
from backend.store.outbox import Lease, presence_name
from bot.outbox_loop import present, sender_owner

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
            assert await lease(other, alive) == ["1", "2"]
            assert await lease(postgres, "host-c:8082:telegram") == []  # alive: its leases hold
        # The process is gone (its session, and the lock with it): no need to wait out the lease.
        assert await lease(postgres, "host-c:8082:telegram", NOW + timedelta(seconds=1)) == ["1", "2"]
    finally:
        await other.dispose()


async def test_two_live_processes_given_one_name_never_lease_as_one(postgres, database_url, caplog):
    other = Database(database_url)
    await other.connect()
    try:
        async with present(postgres, "twin:telegram", log) as first, present(other, "twin:telegram", log) as second:
            assert first == "twin:telegram"
            assert second.startswith("twin:telegram:") and second != first
            await queue(postgres, "1")
            assert await lease(postgres, first) == ["1"]
            assert await lease(other, second) == []
        assert "another live process sends as this instance" in caplog.text
    finally:
        await other.dispose()
