"""Matching is set-based: the statements an import runs do not grow with its rows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from backend.db.database import Database
from tests.backend.factories import id_number
from tests.databases import counted
from tests.monitoring.registry_files import feed_csv, import_registry_text, ingest_text, person, registry_csv

PEOPLE = [id_number(i % 1000, born=date(1960, 1, 1) + timedelta(days=i)) for i in range(200)]


def medical(rows: int, start: int = 0) -> str:
    return feed_csv(*(
        (f"M{start + i}", PEOPLE[i % len(PEOPLE)], "out_of_pocket", "2026-10-01", f"{100 + i}.50", "")
        for i in range(rows)
    ))


async def registry(database: Database, tmp_path: Path, households: int) -> None:
    await import_registry_text(database, tmp_path, registry_csv(
        *(person(f"H{i}", number, category="elderly") for i, number in enumerate(PEOPLE[:households]))
    ))


async def test_matching_5000_rows_takes_as_many_statements_as_500(database: Database, tmp_path: Path) -> None:
    await registry(database, tmp_path, len(PEOPLE))
    with counted(database) as small:
        few = await ingest_text(database, tmp_path, "medical", medical(500))
    with counted(database) as large:
        many = await ingest_text(database, tmp_path, "medical", medical(5000, start=500))
    assert (few.inserted, many.inserted) == (500, 5000)
    assert len(large) == len(small) <= 12, large


async def test_each_chunk_costs_the_same_few_statements(database: Database, tmp_path: Path) -> None:
    await registry(database, tmp_path, len(PEOPLE))
    with counted(database) as statements:
        summary = await ingest_text(database, tmp_path, "medical", medical(5000), chunk=1000)
    assert summary.inserted == 5000
    assert len(statements) <= 5 * 10, statements


async def test_rows_of_unknown_persons_are_found_in_one_query(database: Database, tmp_path: Path) -> None:
    await registry(database, tmp_path, 20)  # 180 of the 200 people are not in the registry
    with counted(database) as statements:
        summary = await ingest_text(database, tmp_path, "medical", medical(5000))
    assert summary.inserted == 500 and len(summary.errors) == 4500
    assert all(e.reason.startswith("unknown person") for e in summary.errors)
    assert len(statements) <= 12, statements


async def test_importing_households_is_set_based_too(database: Database, tmp_path: Path) -> None:
    with counted(database) as small:
        await registry(database, tmp_path, 20)
    with counted(database) as large:
        await registry(database, tmp_path, 200)
    assert len(large) == len(small), large


async def test_the_page_cache_widened_for_the_import_is_given_back(database: Database, tmp_path: Path) -> None:
    if database.engine.dialect.name != "sqlite":
        return  # PostgreSQL's buffers are the server's
    await registry(database, tmp_path, 20)
    async with database.engine.connect() as connection:
        before = await connection.exec_driver_sql("PRAGMA cache_size")
        default = before.scalar()
    await ingest_text(database, tmp_path, "medical", medical(50))
    async with database.engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA cache_size")).scalar() == default
