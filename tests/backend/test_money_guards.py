"""The database itself keeps money: ledger and fund rows refuse UPDATE, DELETE (and TRUNCATE on
PostgreSQL), on whichever database the suite runs (SQLite, or PostgreSQL with YIMEN_TEST_DATABASE_URL)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from backend.db.database import Database
from backend.db.migrate import alembic_config
from backend.db.models import Base

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

# Every money table, a statement that rewrites a row and one that erases it.
REWRITES = {
    "point_entries": "UPDATE point_entries SET amount = amount + 1000",
    "fund_entries": "UPDATE fund_entries SET amount = 1",
}
ERASES = {
    "point_entries": "DELETE FROM point_entries",
    "fund_entries": "DELETE FROM fund_entries WHERE id = 1",
    "point_accounts": "DELETE FROM point_accounts WHERE holder = 'merchant'",
    "funds": "DELETE FROM funds",
}


async def _fill(database: Database) -> None:
    """A fund with a donation, two accounts with a redemption between them, a redeemed code."""
    async with database.engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO funds (id, code, name, holder, holder_ref, created_by, created_at) "
            "VALUES (1, 'f', 'F', 'enterprise', 'e1', 'boss', :at)"), {"at": AT})
        await connection.execute(text(
            "INSERT INTO fund_entries (id, fund_id, kind, amount, ref, note, by, at) "
            "VALUES (1, 1, 'donation', 1000.50, 'receipt', '', 'wang', :at)"), {"at": AT})
        await connection.execute(text(
            "INSERT INTO point_accounts (id, holder, ref, name, created_at) VALUES "
            "(1, 'volunteer', 'v1', 'V', :at), (2, 'merchant', 'shop', 'Shop', :at)"), {"at": AT})
        await connection.execute(text(
            "INSERT INTO point_entries (txn, account_id, amount, cause, ref, note, by, at) VALUES "
            "('t1', 1, -5, 'redemption', 'shop', '', 'shop', :at), ('t1', 2, 5, 'redemption', 'shop', '', 'shop', :at)"
        ), {"at": AT})
        await connection.execute(text(
            "INSERT INTO redemption_codes (code_hash, account_id, points, expires_at, used_at, txn) VALUES "
            "('used', 1, 5, :later, :at, 't1'), ('open', 1, 5, :later, NULL, NULL)"),
            {"at": AT, "later": AT + timedelta(minutes=10)})


async def _refused(database: Database, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.engine.begin() as connection:
            await connection.execute(text(statement))


async def _count(database: Database, table: str) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.mark.parametrize("table", sorted(REWRITES))
async def test_an_entry_cannot_be_rewritten(database: Database, table: str) -> None:
    await _fill(database)
    async with database.engine.connect() as connection:
        before = (await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))).all()
    await _refused(database, REWRITES[table])
    async with database.engine.connect() as connection:
        assert (await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))).all() == before


@pytest.mark.parametrize("table", sorted(ERASES))
async def test_money_cannot_be_erased(database: Database, table: str) -> None:
    await _fill(database)
    before = await _count(database, table)
    await _refused(database, ERASES[table])
    assert await _count(database, table) == before


@pytest.mark.parametrize("table", ["point_entries", "fund_entries", "point_accounts", "funds", "redemption_codes"])
async def test_truncate_is_refused_on_postgresql(database: Database, table: str) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE: an unqualified DELETE is refused instead")
    await _fill(database)
    await _refused(database, f"TRUNCATE {table} CASCADE")
    assert await _count(database, table) > 0


async def test_a_redeemed_code_is_kept_and_an_open_one_may_still_be_used(database: Database) -> None:
    await _fill(database)
    await _refused(database, "UPDATE redemption_codes SET used_at = NULL, txn = NULL WHERE code_hash = 'used'")
    await _refused(database, "DELETE FROM redemption_codes WHERE code_hash = 'used'")
    async with database.engine.begin() as connection:
        # What the ledger does to a code: marked used, then given its transaction.
        await connection.execute(text("UPDATE redemption_codes SET used_at = :at WHERE code_hash = 'open'"), {"at": AT})
        await connection.execute(text("UPDATE redemption_codes SET txn = 't1' WHERE code_hash = 'open'"))
    await _refused(database, "UPDATE redemption_codes SET txn = 'other' WHERE code_hash = 'open'")


async def test_an_unused_code_may_be_cleared_away(database: Database) -> None:
    await _fill(database)
    async with database.engine.begin() as connection:
        await connection.execute(text("DELETE FROM redemption_codes WHERE code_hash = 'open'"))
    assert await _count(database, "redemption_codes") == 1


async def test_a_schema_made_from_the_models_has_the_guards_too(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'bare.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
            triggers = set((await connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))).scalars())
            await connection.execute(text(
                "INSERT INTO funds (id, code, name, holder, holder_ref, created_by, created_at) "
                "VALUES (1, 'f', 'F', 'enterprise', 'e1', 'boss', '2026-12-01')"))
        assert {"point_entries_append_only", "point_entries_no_delete", "fund_entries_append_only",
                "fund_entries_no_delete", "funds_no_delete", "point_accounts_no_delete"} <= triggers
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM funds"))
    finally:
        await engine.dispose()


def test_the_migration_gives_old_corrections_their_own_kind(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "0013")
    with sqlite3.connect(tmp_path / "old.sqlite3") as connection:
        connection.execute("INSERT INTO funds VALUES (1, 'f', 'F', 'enterprise', 'e1', 'boss', '2026-12-01')")
        # Before: a donation, a spending, and the spending's correction written as a donation.
        connection.executemany("INSERT INTO fund_entries (fund_id, kind, amount, ref, note, by, at) "
                               "VALUES (1, ?, ?, ?, '', 'wang', '2026-12-01')",
                               [("donation", 100, "d"), ("spending", 40, "YM1"), ("donation", 40, "correction:2"),
                                ("spending", 10, "correction:1")])
    command.upgrade(config, "head")
    with sqlite3.connect(tmp_path / "old.sqlite3") as connection:
        rows = connection.execute("SELECT kind, amount, ref FROM fund_entries ORDER BY id").fetchall()
    assert rows == [("donation", 100, "d"), ("spending", 40, "YM1"), ("correction", 40, "correction:2"),
                    ("correction", -10, "correction:1")]
    command.downgrade(config, "0013")
    with sqlite3.connect(tmp_path / "old.sqlite3") as connection:
        rows = connection.execute("SELECT kind, amount FROM fund_entries ORDER BY id").fetchall()
        assert rows == [("donation", 100), ("spending", 40), ("donation", 40), ("spending", 10)]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE fund_entries SET amount = 1")
