"""Opening the configured database, the same way for every command and role.

The embedded default (SQLite beside the data) is migrated on opening, so that a first run needs no
setup; a server database is migrated only on request (``yimen db upgrade``), its schema being the
operator's to move.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from backend.db.database import Database
from backend.db.migrate import upgrade

if TYPE_CHECKING:
    from backend.config import Config


async def open_database(
    config: Config, *, migrate: bool | None = None, new_id: Callable[[], str] | None = None
) -> Database:
    """A connected database; ``migrate`` defaults to migrating only the embedded one."""
    if config.embedded if migrate is None else migrate:
        await upgrade(config.database_url)
    database = Database(config.database_url, pool=(config.pool_size, config.pool_overflow),
                        **({"new_id": new_id} if new_id is not None else {}))
    await database.connect()
    return database


@asynccontextmanager
async def opened_database(config: Config) -> AsyncIterator[Database]:
    """The database for the length of one command, closed however it ends."""
    database = await open_database(config)
    try:
        yield database
    finally:
        await database.dispose()
