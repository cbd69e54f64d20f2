"""Department files imported and matched to the registry, CSV and JSON Lines, once per record."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.db.database import Database
from backend.db.models import FeedEventRow, RegistryPersonRow
from backend.monitoring.feeds import ingest, read_feed
from backend.monitoring.rows import FileFormatError, RowError, write_error_report
from tests.monitoring.registry_files import (
    CHILD,
    ELDER,
    HASHER,
    HEAD,
    LONER,
    NOW,
    SPOUSE,
    STRANGER,
    family,
    feed_csv,
    feed_jsonl,
    import_registry_text,
    ingest_text,
    person,
    registry_csv,
)

BAD_DIGIT = HEAD[:17] + ("0" if HEAD[17] != "0" else "1")


def _unmatched(prefix: str, kind: str, day: str, amount: str = "", grade: str = "") -> list[tuple[str, ...]]:
    """A source's wrong rows 5 and 6 (lines of the file): an ID number whose check digit fails, and a
    person the registry does not know."""
    return [(f"{prefix}4", BAD_DIGIT, kind, day, amount, grade), (f"{prefix}5", STRANGER, kind, day, amount, grade)]


# For each source: good rows (of registry persons), then one row of each way to be wrong. The
# wrong rows are on lines 5 to 9 of the file (the header is line 1).
CASES: dict[str, tuple[list[tuple[str, ...]], list[tuple[str, ...] | str]]] = {
    "public_security": (
        [("P1", HEAD, "death", "2026-10-01", "", ""), ("P2", CHILD, "registration_change", "2026-10-02", "", ""),
         ("P3", ELDER, "death", "2026-09-30", "", "")],
        [*_unmatched("P", "death", "2026-10-01"),
         ("P6", HEAD, "death", "2026-13-01", "", ""), ("P7", HEAD, "death", "2026-10-01", "9", ""),
         f"P8,{HEAD},death,2026-10-01,,,"],
    ),
    "medical": (
        [("M1", HEAD, "out_of_pocket", "2026-10-01", "23000.50", ""),
         ("M2", SPOUSE, "out_of_pocket", "2026-10-02", "120", ""),
         ("M3", ELDER, "out_of_pocket", "2026-10-03", "0.01", "")],
        [*_unmatched("M", "out_of_pocket", "2026-10-01", "10"),
         ("M6", HEAD, "out_of_pocket", "2026-1-1", "10", ""), ("M7", HEAD, "out_of_pocket", "2026-10-01", "1e3", ""),
         f"M8,{HEAD},out_of_pocket"],
    ),
    "disability": (
        [("D1", CHILD, "disability_assessed", "2026-10-01", "", "2"),
         ("D2", CHILD, "disability_assessed", "2026-11-01", "", "1"),
         ("D3", ELDER, "disability_assessed", "2026-11-02", "", "4")],
        [*_unmatched("D", "disability_assessed", "2026-10-01", grade="2"),
         ("D6", HEAD, "disability_assessed", "yesterday", "", "2"),
         ("D7", HEAD, "disability_assessed", "2026-10-01", "", "0"),
         f"D8,{HEAD},disability_assessed,2026-10-01,,2,x"],
    ),
    "hr": (
        [("H1", HEAD, "unemployed", "2026-10-01", "", ""), ("H2", HEAD, "employed", "2026-11-01", "", ""),
         ("H3", SPOUSE, "unemployed", "2026-11-02", "", "")],
        [*_unmatched("H", "unemployed", "2026-10-01"),
         ("H6", HEAD, "unemployed", "2026-02-29", "", ""), ("H7", HEAD, "unemployed", "2026-10-01", "3000", ""),
         f"H8,{HEAD}"],
    ),
    "education": (
        [("E1", CHILD, "left_school", "2026-10-01", "", ""), ("E2", CHILD, "enrolled", "2026-11-01", "", ""),
         ("E3", LONER, "enrolled", "2026-09-01", "", "")],
        [*_unmatched("E", "enrolled", "2026-10-01"),
         ("E6", CHILD, "enrolled", "2026/10/01", "", ""), ("E7", CHILD, "enrolled", "2026-10-01", "", "1"),
         f"E8,{CHILD},enrolled,2026-10-01,,,,"],
    ),
    "emergency": (
        [("X1", HEAD, "disaster_loss", "2026-08-01", "80000", ""),
         ("X2", ELDER, "disaster_loss", "2026-08-01", "5000", ""),
         ("X3", LONER, "disaster_loss", "2026-08-02", "1200.5", "")],
        [*_unmatched("X", "disaster_loss", "2026-08-01", "10"),
         ("X6", HEAD, "disaster_loss", "2026-08-32", "10", ""),
         ("X7", HEAD, "disaster_loss", "2026-08-01", "-10", ""),
         f"X8,{HEAD},disaster_loss,2026-08-01,10"],
    ),
    "civil_affairs": (
        [("C1", HEAD, "assistance_exit", "2026-01-10", "", ""), ("C2", HEAD, "income_change", "2026-06-01", "0", ""),
         ("C3", SPOUSE, "income_change", "2026-06-01", "1500.00", "")],
        [*_unmatched("C", "assistance_exit", "2026-01-10"),
         ("C6", HEAD, "income_change", "20260601", "100", ""), ("C7", HEAD, "income_change", "2026-06-01", "", ""),
         f"C8,{HEAD},income_change,2026-06-01,100,,"],
    ),
}


@pytest.fixture
async def registry(database: Database, tmp_path: Path) -> Database:
    await import_registry_text(database, tmp_path, registry_csv(
        *family("H1"),
        person("H2", ELDER, category="elderly", work="retired", monthly_income="0"),
        person("H3", LONER, category="sick", health="serious", work="unable", monthly_income="0", office="songlin"),
    ))
    return database


async def events(database: Database) -> list[Any]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(select(FeedEventRow.__table__).order_by(FeedEventRow.id))).all())


async def person_ids(database: Database) -> dict[str, tuple[int, int]]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(RegistryPersonRow.id_hash, RegistryPersonRow.id,
                                               RegistryPersonRow.household_id))
        return {h: (p, hh) for h, p, hh in rows}


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
@pytest.mark.parametrize("source", sorted(CASES))
async def test_each_source_good_and_bad_rows(registry: Database, tmp_path: Path, source: str, file_format: str) -> None:
    good, bad = CASES[source]
    if file_format == "jsonl":
        # A JSON line has no column count: its counterpart of a ragged row is a line that is no object.
        bad = [*bad[:-1], f'["{HEAD}", "death"]']
    render = feed_csv if file_format == "csv" else feed_jsonl
    summary = await ingest_text(registry, tmp_path, source, render(*good, *bad), file_format)

    first = 2 if file_format == "csv" else 1  # the line of the first row
    assert [(e.line - first + 2, e.field) for e in summary.errors] == [
        (5, "id_number"), (6, "id_number"), (7, "occurred_on"), (8, summary.errors[3].field), (9, "")
    ]
    assert "check digit" in summary.errors[0].reason and "unknown person" in summary.errors[1].reason
    assert summary.errors[3].field in ("amount", "grade")
    assert (summary.read, summary.inserted, summary.duplicates) == (8, 3, 0)

    stored = await events(registry)
    people = await person_ids(registry)
    assert [(e.source, e.record_id, e.kind) for e in stored] == [(source, g[0], g[2]) for g in good]
    for event, row in zip(stored, good, strict=True):
        assert (event.person_id, event.household_id) == people[HASHER(row[1])]
        assert event.occurred_on == date.fromisoformat(row[3])
        assert event.amount == (Decimal(row[4]) if row[4] else None)
        assert event.grade == (int(row[5]) if row[5] else None)
        assert event.evaluated is False and event.detail == {} and event.imported_at == NOW


async def test_importing_a_file_again_adds_nothing(registry: Database, tmp_path: Path) -> None:
    good, bad = CASES["medical"]
    text = feed_csv(*good, *bad)
    first = await ingest_text(registry, tmp_path, "medical", text)
    again = await ingest_text(registry, tmp_path, "medical", text)
    assert (first.inserted, first.duplicates) == (3, 0)
    assert (again.read, again.inserted, again.duplicates) == (8, 0, 3)
    assert again.errors == first.errors
    assert len(await events(registry)) == 3


async def test_the_same_file_as_json_lines_is_the_same_data(registry: Database, tmp_path: Path) -> None:
    good, _ = CASES["disability"]
    await ingest_text(registry, tmp_path, "disability", feed_csv(*good))
    again = await ingest_text(registry, tmp_path, "disability", feed_jsonl(*good), "jsonl")
    assert (again.inserted, again.duplicates, again.errors) == (0, 3, [])


async def test_a_record_is_once_per_source(registry: Database, tmp_path: Path) -> None:
    row = ("SAME", HEAD, "unemployed", "2026-10-01", "", "")
    later = ("SAME", HEAD, "employed", "2026-11-01", "", "")
    summary = await ingest_text(registry, tmp_path, "hr", feed_csv(row, row, later))
    assert (summary.inserted, summary.duplicates) == (1, 2)
    # Another department may use the same record id for its own record.
    enrolled = ("SAME", CHILD, "enrolled", "2026-09-01", "", "")
    other = await ingest_text(registry, tmp_path, "education", feed_csv(enrolled))
    assert other.inserted == 1
    assert [(e.source, e.kind) for e in await events(registry)] == [("hr", "unemployed"), ("education", "enrolled")]


@pytest.mark.parametrize("chunk", [1, 2, 3, 10_000])
async def test_chunks_only_change_the_transactions(registry: Database, tmp_path: Path, chunk: int) -> None:
    good, bad = CASES["medical"]
    repeated = good[0]
    told: list[int] = []
    summary = await ingest_text(registry, tmp_path, "medical", feed_csv(*good, *bad, repeated), chunk=chunk,
                                progress=told.append)
    assert (summary.read, summary.inserted, summary.duplicates, len(summary.errors)) == (9, 3, 1, 5)
    assert [e.line for e in summary.errors] == [5, 6, 7, 8, 9]
    assert sum(told) == 9


async def test_an_event_from_the_future_is_refused(registry: Database, tmp_path: Path) -> None:
    summary = await ingest_text(registry, tmp_path, "public_security", feed_csv(
        ("F1", HEAD, "death", "2026-12-01", "", ""),  # the region's today is 30 November
        ("F2", HEAD, "death", "2027-01-01", "", ""),
    ))
    assert [(e.line, e.field, e.reason) for e in summary.errors] == [(3, "occurred_on", "in the future")]
    assert summary.inserted == 1


async def test_rows_can_come_from_anywhere(registry: Database) -> None:
    rows = [(1, {"record_id": "A", "id_number": HEAD, "kind": "death", "occurred_on": "2026-10-01"}),
            (2, {"record_id": "B", "id_number": HEAD.lower(), "kind": "death", "occurred_on": "2026-10-01",
                 "amount": "", "grade": ""})]
    summary = await ingest(registry, "public_security", rows, hasher=HASHER, now=NOW)
    assert (summary.read, summary.inserted, summary.errors) == (2, 2, [])


async def test_a_file_with_unknown_columns_cannot_be_read(registry: Database, tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("record_id,id_number,kind,occurred_on,salary\nA,1,x,2026-01-01,5\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="salary"):
        await ingest(registry, "hr", read_feed(path), hasher=HASHER, now=NOW)


async def test_the_error_report_never_holds_an_id_number(registry: Database, tmp_path: Path) -> None:
    good, bad = CASES["medical"]
    summary = await ingest_text(registry, tmp_path, "medical", feed_csv(*good, *bad))
    report = tmp_path / "errors.csv"
    assert write_error_report(report, summary.errors) == 5
    text = report.read_text(encoding="utf-8")
    for number in (HEAD, BAD_DIGIT, STRANGER):
        assert number not in text and number[:17] not in text
    assert list(csv.reader(text.splitlines()))[0] == ["line", "field", "reason"]


async def test_an_unknown_source_is_refused_before_anything(registry: Database) -> None:
    with pytest.raises(ValueError, match="unknown source"):
        await ingest(registry, "tax", [], hasher=HASHER, now=NOW)


def test_row_errors_compare_by_value() -> None:
    assert RowError(3, "missing", "kind") == RowError(3, "missing", "kind")
