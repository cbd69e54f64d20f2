"""The SQLite driver: a unit of work's statements run on the event loop's thread, and only what may
wait (BEGIN while another process writes, a bulk unit of work) goes to the driver's thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from backend.db.database import Database

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A SQLite database with one table, whose connections can tell which thread runs a statement."""
    path = tmp_path / "driver.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")  # as every Yimen database is
        setup.execute("CREATE TABLE notes (body TEXT NOT NULL)")
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.connect()

    def thread_ident(dbapi_connection, _record) -> None:
        dbapi_connection.create_function("thread_ident", 0, threading.get_ident)

    event.listen(db.engine.sync_engine, "connect", thread_ident)
    try:
        yield db
    finally:
        await db.dispose()


async def _thread_of_a_statement(db: Database, *, bulk: bool = False) -> int:
    async with db.unit_of_work(bulk=bulk) as uow:
        return (await uow._session.execute(text("SELECT thread_ident()"))).scalar_one()


async def test_a_unit_of_work_runs_its_statements_on_the_loop_thread(database: Database) -> None:
    assert await _thread_of_a_statement(database) == threading.get_ident()


async def test_a_bulk_unit_of_work_runs_on_the_driver_thread_and_the_connection_forgets_it(
    database: Database,
) -> None:
    assert await _thread_of_a_statement(database, bulk=True) != threading.get_ident()
    # The same pooled connection, back from the bulk unit of work.
    assert await _thread_of_a_statement(database) == threading.get_ident()


async def test_begin_waits_for_another_process_on_the_driver_thread_while_the_loop_runs(
    database: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)  # as another process would
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes VALUES ('first')")

    async def write() -> int:
        async with database.unit_of_work() as uow:
            await uow._session.execute(text("INSERT INTO notes VALUES ('second')"))
            timeout = (await uow._session.execute(text("PRAGMA busy_timeout"))).scalar_one()
            await uow.commit()
        return timeout

    writing = asyncio.create_task(write())
    ticks = 0
    for _ in range(20):
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 20 and not writing.done()  # the loop ran on while the unit of work waited
    other.commit()
    # The unit of work went on once the lock was free, with its busy timeout as it was.
    assert await asyncio.wait_for(writing, timeout=10) == 30_000
    assert [row[0] for row in other.execute("SELECT body FROM notes ORDER BY rowid")] == ["first", "second"]
    other.close()
