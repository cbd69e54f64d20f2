"""The migrations build exactly the models, and run from sync and async code alike."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from backend.db.database import Database
from backend.db.migrate import alembic_config, upgrade
from backend.db.models import Base


def _bare(default: str | None) -> str | None:
    """A server default without the parentheses and quotes reflection wraps it in."""
    return None if default is None else default.strip("()'\"")


def _default_differs(
    _context: Any,
    _inspected_column: Any,
    _metadata_column: Any,
    inspected_default: str | None,
    _metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Equal by value, else Alembic's own comparison (it misreads SQLite's DEFAULT '' as "('')")."""
    return False if _bare(inspected_default) == _bare(rendered_metadata_default) else None


def _differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": _default_differs}
    )
    return compare_metadata(context, Base.metadata)


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_upgrade_runs_inside_an_event_loop(database_url: str) -> None:
    # Already at head: this proves only that the call works from a running loop.
    await upgrade(database_url)


async def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    await upgrade(url)
    engine = create_async_engine(url)
    try:
        # env.py runs its own event loop, so Alembic commands go to a worker thread here.
        await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert tables == ["alembic_version"]
        await upgrade(url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
