"""Registry and feed files for the monitoring tests, written the way departments write them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from backend.crypto import IdHasher
from backend.db.database import Database
from backend.monitoring.feeds import ImportSummary, ingest, read_feed
from backend.monitoring.registry import COLUMNS, HOUSEHOLD_COLUMNS, RegistrySummary, import_registry, read_registry
from backend.monitoring.vault import IdVault
from backend.policy.pack import Pack, load_pack
from tests.backend.factories import id_number

SECRET = b"monitoring-tests-secret"
HASHER = IdHasher(SECRET)
VAULT = IdVault(SECRET)
PACK: Pack = load_pack("demo")
# 10:00 on 30 November 2026 in the demo region (Asia/Shanghai).
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)

# People of the tests, by ID number: serials tell them apart, birth dates give their ages.
HEAD = id_number(11, born=date(1970, 3, 15))  # 56
SPOUSE = id_number(12, born=date(1972, 12, 1))  # 53 (a birthday still to come this year)
CHILD = id_number(13, born=date(2012, 6, 30))  # 14
ELDER = id_number(14, born=date(1940, 1, 1))  # 86
LONER = id_number(15, born=date(1985, 7, 7))  # 41
STRANGER = id_number(99, born=date(1990, 2, 2))  # in no registry


def person(code: str, number: str, **fields: Any) -> dict[str, str]:
    """A registry row: a head of household (relation self) unless told otherwise."""
    row = {
        "household_code": code, "office": "hubin", "id_number": number, "name": "张三", "relation": "self",
        "category": "dibao", "earner": "1", "health": "healthy", "disability_grade": "", "work": "employed",
        "monthly_income": "800", "savings": "3000", "vehicles": "0", "homes": "1", "housing": "own",
        "monthly_rent": "", "pension": "0", "relatives_support": "0", "agricultural_income": "0",
        "other_income": "0", "medical_spending": "0", "education_spending": "0", "hardship": "", "able_supporter": "0",
    }
    if fields.get("relation", "self") != "self":
        row.update({name: "" for name in HOUSEHOLD_COLUMNS})
    row.update({name: str(value) for name, value in fields.items()})
    return row


def registry_csv(*rows: dict[str, str] | str) -> str:
    """A registry file: the header, then each row (a raw line when given as text)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        if isinstance(row, str):
            out.write(row + "\n")
        else:
            writer.writerow([row[name] for name in COLUMNS])
    return out.getvalue()


def family(code: str = "H1", **head: Any) -> list[dict[str, str]]:
    """Three people: the head, the spouse and a child at school."""
    return [
        person(code, HEAD, **head),
        person(code, SPOUSE, relation="spouse", earner="0", work="unemployed", monthly_income="0"),
        person(code, CHILD, relation="child", earner="0", work="student", monthly_income="0", category="child"),
    ]


async def import_registry_text(
    database: Database, tmp_path: Path, text: str, name: str = "registry.csv"
) -> RegistrySummary:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return await import_registry(database, read_registry(path), pack=PACK, hasher=HASHER, vault=VAULT, now=NOW)


FEED_FIELDS = ("record_id", "id_number", "kind", "occurred_on", "amount", "grade")


def feed_csv(*rows: tuple[str, ...] | str) -> str:
    """A feed file in CSV: the header, then each row (a raw line when given as text)."""
    lines = [",".join(FEED_FIELDS)]
    lines += [row if isinstance(row, str) else ",".join(row) for row in rows]
    return "\n".join(lines) + "\n"


def feed_jsonl(*rows: tuple[str, ...] | str) -> str:
    """The same rows as JSON Lines: amounts and grades as numbers written as given, empty fields left out."""
    lines = []
    for row in rows:
        if isinstance(row, str):
            lines.append(row)
            continue
        parts = []
        for name, text in zip(FEED_FIELDS, row, strict=False):
            if text:
                raw = text if name in ("amount", "grade") and _number(text) else json.dumps(text, ensure_ascii=False)
                parts.append(f"{json.dumps(name)}: {raw}")
        lines.append("{" + ", ".join(parts) + "}")
    return "\n".join(lines) + "\n"


def _number(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


async def ingest_text(
    database: Database, tmp_path: Path, source: str, text: str, file_format: str = "csv", **options: Any
) -> ImportSummary:
    path = tmp_path / f"{source}.{file_format}"
    path.write_text(text, encoding="utf-8")
    return await ingest(database, source, read_feed(path, file_format), hasher=HASHER, now=NOW, **options)
