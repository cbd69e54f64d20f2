"""Alembic environment: async engine, URL from the caller or ``YIMEN_DATABASE_URL``."""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from backend.db.models import Base

config = context.config

# Only the CLI has an ini file; called from code we leave the host's logging alone.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    """The database URL: ``config.attributes["url"]`` first, else the environment."""
    url = config.attributes.get("url") or os.environ.get("YIMEN_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: set YIMEN_DATABASE_URL or pass config.attributes['url']")
    return str(url)


def run_migrations_offline() -> None:
    """Emit the migration SQL without connecting."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on one sync-adapted connection."""
    # Batch mode lets ALTERs work on SQLite by rebuilding the table.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    """Connect with an async engine and run the migrations."""
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run the migrations against a live database."""
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
