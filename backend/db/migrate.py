"""Run the Alembic migrations from code, without an alembic.ini."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    config = Config()
    # ConfigParser interpolates '%', so escape it in the path.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    # Passed as an attribute, not an option, so passwords with '%' survive.
    config.attributes["url"] = url
    return config


def upgrade_sync(url: str) -> None:
    """Upgrade the database at ``url`` to head; call it only where no event loop is running."""
    command.upgrade(alembic_config(url), "head")


async def upgrade(url: str) -> None:
    """Upgrade the database at ``url`` to head from async code."""
    # env.py calls asyncio.run, which cannot nest in the running loop: use a worker thread.
    await asyncio.to_thread(upgrade_sync, url)
