"""YIMEN_DB_POOL_SIZE and YIMEN_DB_POOL_OVERFLOW: the connections each process holds to PostgreSQL."""

from __future__ import annotations

import pytest

from backend.config import Config, ConfigError
from backend.db.opening import open_database


def test_the_pool_settings_are_read_and_checked():
    plain = Config.from_env({"YIMEN_SECRET_KEY": "k"})
    assert (plain.pool_size, plain.pool_overflow) == (5, 10)
    small = Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_DB_POOL_SIZE": "3", "YIMEN_DB_POOL_OVERFLOW": "0"})
    assert (small.pool_size, small.pool_overflow) == (3, 0)
    for name, bad in (("YIMEN_DB_POOL_SIZE", "0"), ("YIMEN_DB_POOL_SIZE", "many"), ("YIMEN_DB_POOL_OVERFLOW", "-1")):
        with pytest.raises(ConfigError, match=name):
            Config.from_env({"YIMEN_SECRET_KEY": "k", name: bad})


async def test_a_server_database_opens_its_pool_at_the_configured_size(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("a SQLite file has no server connections to pool")
    config = Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_DATABASE_URL": database_url,
                              "YIMEN_DB_POOL_SIZE": "2", "YIMEN_DB_POOL_OVERFLOW": "1"}, cwd=tmp_path)
    database = await open_database(config, migrate=False)
    try:
        pool = database.engine.sync_engine.pool
        assert (pool.size(), pool._max_overflow) == (2, 1)  # type: ignore[attr-defined]
    finally:
        await database.dispose()
