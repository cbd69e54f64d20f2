"""``yimen registry import``: households built, assessed and kept with their history; bad rows reported."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.db.database import Database
from backend.db.models import RegistryAssessmentRow, RegistryHouseholdRow, RegistryPersonRow
from backend.monitoring.registry import read_registry
from backend.monitoring.rows import FileFormatError
from backend.policy.assess import assess
from backend.policy.household import Household
from tests.monitoring.registry_files import (
    CHILD,
    ELDER,
    HASHER,
    HEAD,
    LONER,
    PACK,
    SPOUSE,
    TODAY,
    VAULT,
    family,
    import_registry_text,
    person,
    registry_csv,
)


async def rows_of(database: Database, table: Any, order: Any) -> list[Any]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(select(table).order_by(order))).all())


async def households(database: Database) -> dict[str, Any]:
    return {row.code: row for row in await rows_of(database, RegistryHouseholdRow.__table__, RegistryHouseholdRow.id)}


async def persons(database: Database) -> list[Any]:
    return await rows_of(database, RegistryPersonRow.__table__, RegistryPersonRow.id)


async def history(database: Database) -> list[Any]:
    return await rows_of(database, RegistryAssessmentRow.__table__, RegistryAssessmentRow.id)


async def test_a_household_is_built_from_its_rows_and_assessed(database: Database, tmp_path: Path) -> None:
    text = registry_csv(*family("H1", hardship="illness;unemployment", medical_spending="12000"))
    summary = await import_registry_text(database, tmp_path, text)

    assert (summary.read, summary.households, summary.persons, summary.errors) == (3, 1, 3, [])
    row = (await households(database))["H1"]
    assert row.office == "hubin"
    members = row.household["members"]
    assert [(m["relation"], m["age"]) for m in members] == [("self", 56), ("spouse", 53), ("child", 14)]
    assert row.household["region"] == {"district": "minghu", "office": "hubin"}
    assert row.household["hardship"]["types"] == ["illness", "unemployment"]
    assert row.monthly_income == Decimal("800.00")
    # What the engine says of the same household on the same day.
    expected = assess(Household.model_validate(row.household), TODAY, PACK)
    assert (row.layer, row.resilience_level, row.types) == (
        expected.layer.value, expected.resilience.level, [t.value for t in expected.types]
    )
    assert row.assessed_at is not None
    [entry] = await history(database)
    assert (entry.household_id, entry.layer, entry.resilience_level, entry.cause) == (
        row.id, row.layer, row.resilience_level, "import"
    )


async def test_no_id_number_is_kept_in_clear(database: Database, tmp_path: Path) -> None:
    await import_registry_text(database, tmp_path, registry_csv(*family("H1")))
    row = (await households(database))["H1"]
    dumped = json.dumps(row.household)
    for number in (HEAD, SPOUSE, CHILD):
        assert number not in dumped
    people = await persons(database)
    assert [(p.relation, p.member, p.birth_date.isoformat()) for p in people] == [
        ("self", 0, "1970-03-15"), ("spouse", 1, "1972-12-01"), ("child", 2, "2012-06-30")
    ]
    for p, number in zip(people, (HEAD, SPOUSE, CHILD), strict=True):
        # The same keyed hash as applications carry, and the number only encrypted.
        assert p.id_hash == HASHER(number)
        assert number not in p.id_cipher and VAULT.decrypt(p.id_cipher) == number
    assert [p.category for p in people] == ["dibao", "dibao", "child"]
    assert [p.earner for p in people] == [True, False, False]


async def test_bad_rows_are_reported_with_their_lines_and_good_rows_go_in(database: Database, tmp_path: Path) -> None:
    bad_digit = HEAD[:17] + ("0" if HEAD[17] != "0" else "1")
    text = registry_csv(
        *family("H1"),                                                             # lines 2-4
        person("H2", bad_digit),                                                   # 5: bad check digit
        person("H3", ELDER, office="nowhere"),                                     # 6: unknown office
        person("H4", ELDER, monthly_income="1,200"),                               # 7: bad amount
        person("H5", ELDER, category="vip"),                                       # 8: unknown category
        ",".join(["H6", "hubin", LONER] + ["x"] * 22),                             # 9: wrong column count
        person("H7", LONER, category="elderly", health="chronic", work="retired", monthly_income="0",
               pension="1500"),                                                    # 10: good
        person("H8", ELDER, monthly_income="-5"),                                  # 11: negative amount
        person("H9", ELDER, savings="lots"),                                       # 12: bad household amount
    )
    summary = await import_registry_text(database, tmp_path, text)

    assert [(e.line, e.field) for e in summary.errors] == [
        (5, "id_number"), (6, "office"), (7, "monthly_income"), (8, "category"), (9, ""), (11, "monthly_income"),
        (12, "savings"),
    ]
    assert "check digit" in summary.errors[0].reason and "expected 24 fields, found 25" == summary.errors[4].reason
    assert (summary.read, summary.households, summary.persons) == (11, 2, 4)
    assert set(await households(database)) == {"H1", "H7"}
    for error in summary.errors:  # reasons never repeat the values
        assert HEAD[:17] not in error.reason and ELDER not in error.reason


async def test_a_household_whose_head_is_refused_is_refused_whole(database: Database, tmp_path: Path) -> None:
    rows = family("H1", housing="castle")
    summary = await import_registry_text(database, tmp_path, registry_csv(*rows))
    assert [(e.line, e.field) for e in summary.errors] == [(2, "housing"), (3, "household_code"), (4, "household_code")]
    assert "no head" in summary.errors[1].reason
    assert summary.households == 0 and await households(database) == {}


async def test_rows_out_of_place_are_refused(database: Database, tmp_path: Path) -> None:
    text = registry_csv(
        person("H1", HEAD),
        person("H2", ELDER, category="elderly"),
        person("H1", SPOUSE, relation="spouse"),        # line 4: H1 again after H2
        person("H2", LONER, relation="self"),           # line 5: a second head
        person("H2", HEAD, relation="sibling"),         # line 6: already listed
        person("H2", CHILD, relation="child", office="wenchang"),  # line 7: another office
    )
    summary = await import_registry_text(database, tmp_path, text)
    assert [(e.line, e.field) for e in summary.errors] == [
        (4, "household_code"), (5, "relation"), (6, "id_number"), (7, "office")
    ]
    assert (summary.households, summary.persons) == (2, 2)


async def test_importing_the_same_file_again_changes_nothing(database: Database, tmp_path: Path) -> None:
    text = registry_csv(*family("H1"), person("H2", ELDER, category="elderly", work="retired", monthly_income="0"))
    await import_registry_text(database, tmp_path, text)
    before = {p.id_hash: (p.id, p.household_id, p.member) for p in await persons(database)}
    codes = {code: row.id for code, row in (await households(database)).items()}

    again = await import_registry_text(database, tmp_path, text)

    assert (again.households, again.persons, again.removed, again.errors) == (2, 4, 0, [])
    assert {p.id_hash: (p.id, p.household_id, p.member) for p in await persons(database)} == before
    assert {code: row.id for code, row in (await households(database)).items()} == codes
    assert len(await history(database)) == 2  # an unchanged assessment is not written twice


async def test_a_household_imported_again_is_replaced_by_its_new_rows(database: Database, tmp_path: Path) -> None:
    await import_registry_text(database, tmp_path, registry_csv(*family("H1", monthly_income="6000")))
    first = (await households(database))["H1"]
    # The spouse has left; the head lost the job.
    text = registry_csv(
        person("H1", HEAD, work="unemployed", monthly_income="0", earner="0"),
        person("H1", CHILD, relation="child", earner="0", work="student", monthly_income="0", category="child"),
    )
    summary = await import_registry_text(database, tmp_path, text)

    assert (summary.households, summary.persons, summary.removed) == (1, 2, 1)
    row = (await households(database))["H1"]
    assert row.id == first.id and len(row.household["members"]) == 2 and row.monthly_income == 0
    assert [(p.id_hash, p.member) for p in await persons(database)] == [(HASHER(HEAD), 0), (HASHER(CHILD), 1)]
    assert row.layer != first.layer
    entries = await history(database)
    assert [e.cause for e in entries] == ["import", "import"]
    assert (entries[-1].layer, entries[-1].resilience_level) == (row.layer, row.resilience_level)


async def test_a_person_moving_house_keeps_their_row(database: Database, tmp_path: Path) -> None:
    await import_registry_text(database, tmp_path, registry_csv(*family("H1")))
    spouse = next(p for p in await persons(database) if p.id_hash == HASHER(SPOUSE))
    await import_registry_text(database, tmp_path, registry_csv(person("H9", SPOUSE, office="songlin")))
    moved = next(p for p in await persons(database) if p.id_hash == HASHER(SPOUSE))
    rows = await households(database)
    assert moved.id == spouse.id and moved.household_id == rows["H9"].id and moved.member == 0


async def test_chunks_do_not_change_the_outcome(database: Database, tmp_path: Path) -> None:
    from backend.monitoring.registry import import_registry
    from tests.monitoring.registry_files import NOW

    text = registry_csv(*family("H1"), person("H2", ELDER, category="elderly"), person("H3", LONER))
    path = tmp_path / "registry.csv"
    path.write_text(text, encoding="utf-8")
    told: list[int] = []
    summary = await import_registry(
        database, read_registry(path), pack=PACK, hasher=HASHER, vault=VAULT, now=NOW, chunk=1, progress=told.append
    )
    assert (summary.households, summary.persons) == (3, 5)
    assert sum(told) == 5
    assert len(await history(database)) == 3


def test_a_file_without_the_registry_columns_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text("household_code,office,id_number\nH1,hubin,x\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="lacks"):
        list(read_registry(path))
