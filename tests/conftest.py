"""Shared fixtures. Database: SQLite by default, PostgreSQL when YIMEN_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.db.database import Database
from backend.db.migrate import upgrade_sync
from backend.db.models import Base
from tests.databases import reset_postgres_schema


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a database migrated to head once per test session."""
    url = os.environ.get("YIMEN_TEST_DATABASE_URL")
    if url:
        asyncio.run(reset_postgres_schema(url))
    else:
        path: Path = tmp_path_factory.mktemp("db") / "yimen.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
    upgrade_sync(url)
    return url


async def _has_sequence(connection) -> bool:
    found = await connection.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"))
    return bool(found)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A connected Database whose tables are empty at the start of the test."""
    db = Database(database_url)
    await db.connect()
    # Emptied before (not after) each test, so a failed test's rows stay around to inspect.
    async with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Restart identities too, so that application numbers are the same on every run.
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            # Money tables refuse TRUNCATE; a superuser's replica role skips triggers for this transaction.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # Money tables refuse DELETE: their guards step aside while the tables are emptied.
            triggers = await connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
            guards = [(name, sql) for name, sql in triggers if name.endswith("_no_delete")]
            for name, _ in guards:
                await connection.execute(text(f"DROP TRIGGER {name}"))
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
            for _, sql in guards:
                await connection.execute(text(sql))
            if await _has_sequence(connection):
                await connection.execute(text("DELETE FROM sqlite_sequence"))
    try:
        yield db
    finally:
        await db.dispose()
