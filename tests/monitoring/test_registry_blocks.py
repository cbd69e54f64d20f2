"""Registry files read in blocks by worker processes: the same households, persons and errors as
one process reading the whole file, wherever the blocks end."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.db.database import Database
from backend.db.models import RegistryAssessmentRow, RegistryHouseholdRow, RegistryPersonRow
from backend.monitoring import registry_blocks
from backend.monitoring.demo import generate
from backend.monitoring.registry import import_registry, local_day, read_registry, read_registry_lines
from backend.monitoring.registry_rows import Built, Draft, Grouper, build
from backend.monitoring.rows import RowError
from tests.backend.factories import id_number
from tests.monitoring.registry_files import (
    CHILD,
    ELDER,
    HASHER,
    HEAD,
    LONER,
    NOW,
    PACK,
    SPOUSE,
    VAULT,
    family,
    person,
    registry_csv,
)

DAY = local_day(NOW, PACK)
OFFICES = {o.code: d.code for d in PACK.regions.districts for o in d.offices}
FOUR, FIVE, SIX, SEVEN, EIGHT = (id_number(serial) for serial in (41, 42, 43, 44, 45))


def tricky_file() -> str:
    """Households that a block may cut, and every check that spans rows."""
    return registry_csv(
        *family("H1"),
        person("H2", ELDER, category="elderly"),
        person("H3", SPOUSE, relation="spouse"),  # a number listed before: refused
        person("H3", LONER),
        person("H1", CHILD, relation="child"),  # H1's rows are over: out of place
        person("H4", SEVEN, relation="child"),  # no head: refused whole, the number still counts
        person("H5", SEVEN),  # listed before (in H4)
        "H6,hubin,only,three",
        person("H7", HEAD, office="songlin"),  # listed before, and a new office
        person("H8", FOUR),
        person("H8", FIVE, relation="spouse", office="songlin"),  # another office than H8's
        person("H9", SIX, monthly_income="abc"),
        person("H2", EIGHT, relation="child"),  # out of place, much later
    )


def canonical(ready: list[Draft | Built], errors: list[RowError]) -> tuple[Any, ...]:
    """What gets written, without the ciphers' random nonces."""
    built = [build(item, DAY, PACK, HASHER, VAULT) if isinstance(item, Draft) else item for item in ready]
    households = [record for record, _ in built]
    persons = [(p.household_code, p.id_hash, VAULT.decrypt(p.id_cipher), p.name, p.birth_date, p.relation, p.member,
                p.category, p.earner) for _, people in built for p in people]
    return households, persons, sorted(errors, key=lambda e: e.line)


def in_one_process(path: Path) -> tuple[Any, ...]:
    grouper = Grouper(OFFICES, DAY)
    for line, fields in read_registry(path):
        grouper.add(line, fields)
    grouper.close()
    return canonical([d for d in grouper.take() if d.complete], grouper.errors)


def in_blocks(path: Path, lines: int) -> tuple[Any, ...]:
    """The blocks prepared here as a worker prepares them, merged in order."""
    registry_blocks.start(PACK.name, str(PACK.directory.parent), OFFICES, DAY, HASHER, VAULT)
    grouper = Grouper(OFFICES, DAY)
    ready: list[Draft | Built] = []
    for block_lines in read_registry_lines(path, lines=lines):
        registry_blocks.merge(registry_blocks.prepare(block_lines), block_lines, grouper, ready)
    grouper.close()
    registry_blocks.collect(grouper, ready)
    return canonical(ready, grouper.errors)


def test_tricky_rows_come_out_the_same_wherever_the_blocks_end(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(tricky_file(), encoding="utf-8")
    expected = in_one_process(path)
    households, _, errors = expected
    assert [h.code for h in households] == ["H1", "H2", "H3", "H8"]
    assert [e.line for e in errors] == [6, 8, 9, 10, 11, 12, 14, 15, 16]
    for lines in (1, 2, 3, 4, 5, 7, 11, 100):
        assert in_blocks(path, lines) == expected, f"blocks of {lines} lines"


def test_a_city_comes_out_the_same_with_duplicates_moved_around(tmp_path: Path) -> None:
    generate(tmp_path, persons=300, seed=3)
    text = (tmp_path / "registry.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = text[0], text[1:]
    shuffle = random.Random(7)
    # Rows copied elsewhere: repeated ID numbers and household codes out of place, in any block.
    for _ in range(12):
        rows.insert(shuffle.randrange(len(rows)), rows[shuffle.randrange(len(rows))])
    path = tmp_path / "shuffled.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    expected = in_one_process(path)
    assert len(expected[2]) >= 12
    for lines in (3, 17, 64, 250):
        assert in_blocks(path, lines) == expected, f"blocks of {lines} lines"


async def stored(database: Database) -> tuple[Any, ...]:
    """The registry's rows, with household ids as codes and ciphers decrypted."""
    async with database.engine.connect() as connection:
        households = (await connection.execute(
            select(RegistryHouseholdRow.__table__).order_by(RegistryHouseholdRow.id))).all()
        codes = {h.id: h.code for h in households}
        persons = (await connection.execute(select(RegistryPersonRow.__table__).order_by(RegistryPersonRow.id))).all()
        history = (await connection.execute(
            select(RegistryAssessmentRow.__table__).order_by(RegistryAssessmentRow.id))).all()
    return (
        [(h.code, h.office, h.household, h.monthly_income, h.layer, h.resilience_level, h.types, h.assessed_at)
         for h in households],
        [(codes[p.household_id], p.id_hash, VAULT.decrypt(p.id_cipher), p.name, p.birth_date, p.relation, p.member,
          p.category, p.earner) for p in persons],
        [(codes[a.household_id], a.layer, a.resilience_level, a.types, a.cause, a.at) for a in history],
    )


async def empty_registry(database: Database) -> None:
    async with database.engine.begin() as connection:
        for table in (RegistryAssessmentRow, RegistryPersonRow, RegistryHouseholdRow):
            await connection.execute(table.__table__.delete())


@pytest.mark.parametrize("chunk", [7, 1000])
async def test_worker_processes_store_what_one_process_stores(database: Database, tmp_path: Path, chunk: int) -> None:
    generate(tmp_path, persons=400, seed=5)
    path = tmp_path / "registry.csv"
    path.write_text(path.read_text(encoding="utf-8") + tricky_file().split("\n", 1)[1], encoding="utf-8")
    alone = await import_registry(database, read_registry(path), pack=PACK, hasher=HASHER, vault=VAULT, now=NOW,
                                  chunk=chunk)
    expected = await stored(database)
    await empty_registry(database)
    told: list[int] = []
    parallel = await import_registry(database, read_registry_lines(path, lines=37), pack=PACK, hasher=HASHER,
                                     vault=VAULT, now=NOW, chunk=chunk, processes=2, progress=told.append)
    assert await stored(database) == expected
    assert (parallel.read, parallel.households, parallel.persons, parallel.removed, parallel.errors) == (
        alone.read, alone.households, alone.persons, alone.removed, alone.errors)
    assert sum(told) == parallel.read
