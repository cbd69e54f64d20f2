"""``yimen demo-data``: a synthetic city, the same bytes for the same seed, wrong only where documented."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from backend.db.database import Database
from backend.monitoring.demo import BAD_FEED_ROWS, BAD_REGISTRY_ROWS, generate
from backend.monitoring.feeds import ingest, read_feed
from backend.monitoring.registry import CATEGORIES, import_registry, read_registry
from backend.monitoring.vocabulary import SOURCES
from bot.cli import main
from id_numbers import BadIdNumber, check_id_number
from tests.monitoring.registry_files import HASHER, NOW, PACK, VAULT

PERSONS = 400


def contents(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", persons=PERSONS, seed=5)
    generate(tmp_path / "b", persons=PERSONS, seed=5)
    generate(tmp_path / "c", persons=PERSONS, seed=6)
    a, b, c = contents(tmp_path / "a"), contents(tmp_path / "b"), contents(tmp_path / "c")
    assert a == b
    assert set(a) == set(c) and all(a[name] != c[name] for name in a)
    assert set(a) == {"registry.csv", *(f"feeds/{source}.csv" for source in SOURCES)}
    assert first[tmp_path / "a" / "registry.csv"] == PERSONS + len(BAD_REGISTRY_ROWS)


def test_the_registry_is_plausible(tmp_path: Path) -> None:
    generate(tmp_path, persons=PERSONS, seed=5)
    with (tmp_path / "registry.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    good = [r for r in rows if not r[0].startswith("DEMOBAD")]
    assert len(good) == PERSONS
    households = Counter(r[0] for r in good)
    assert set(households.values()) <= {1, 2, 3, 4, 5} and 2.0 <= PERSONS / len(households) <= 3.0
    assert {r[5] for r in good} <= set(CATEGORIES) and len({r[5] for r in good}) >= 7
    assert len({r[1] for r in good}) == 6  # every office of the demo pack
    numbers = [r[2] for r in good]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        check_id_number(number, today=None)  # right check digit, birth date and region code
    heads = [r for r in good if r[4] == "self"]
    assert len(heads) == len(households)


async def test_importing_the_city_refuses_exactly_the_documented_rows(database: Database, tmp_path: Path) -> None:
    generate(tmp_path, persons=PERSONS, seed=5)
    summary = await import_registry(database, read_registry(tmp_path / "registry.csv"), pack=PACK, hasher=HASHER,
                                    vault=VAULT, now=NOW)
    assert summary.persons == PERSONS and len(summary.errors) == len(BAD_REGISTRY_ROWS)
    assert [e.field for e in summary.errors] == ["id_number", "office", "monthly_income", "category", ""]

    for source in SOURCES:
        feed = await ingest(database, source, read_feed(tmp_path / "feeds" / f"{source}.csv"), hasher=HASHER, now=NOW)
        wrong = [e for e in feed.errors if not e.reason.startswith("unknown person")]
        # Wrong on purpose: a check digit, a date, an amount, grade or kind, a column count; and one duplicate.
        assert len(wrong) == len(BAD_FEED_ROWS) - 1, (source, wrong)
        assert [e.field for e in wrong][:2] == ["id_number", "occurred_on"] and wrong[3].field == ""
        assert feed.duplicates == 1
        assert feed.inserted > 0 and len(feed.errors) - len(wrong) < feed.read // 10 + 2


def test_json_lines_feeds(tmp_path: Path) -> None:
    generate(tmp_path, persons=100, seed=2, feed_format="jsonl")
    lines = (tmp_path / "feeds" / "medical.jsonl").read_text(encoding="utf-8").splitlines()
    objects = [json.loads(line) for line in lines]
    assert sum(isinstance(o, dict) for o in objects) == len(objects) - 1  # one line is not an object, on purpose
    assert all(isinstance(o.get("amount"), float | int) for o in objects if isinstance(o, dict))


def test_the_command_writes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-data", "--persons", "50", "--seed", "3", "--out", str(tmp_path / "city")]) == 0
    assert f"wrote {tmp_path / 'city' / 'registry.csv'} (55 rows)" in capsys.readouterr().out
    assert main(["demo-data", "--persons", "0", "--out", str(tmp_path / "none")]) == 2


def test_no_bad_row_is_a_valid_person_of_the_city(tmp_path: Path) -> None:
    generate(tmp_path, persons=PERSONS, seed=5)
    with (tmp_path / "registry.csv").open(encoding="utf-8") as handle:
        bad = [r for r in csv.reader(handle) if r[0].startswith("DEMOBAD")]
    assert len(bad) == len(BAD_REGISTRY_ROWS)
    with pytest.raises(BadIdNumber):
        check_id_number(bad[0][2], today=None)


def test_schools_name_only_pupils_of_the_registry(tmp_path: Path) -> None:
    """A school's event about a baby or a pensioner would raise an alert nobody could explain."""
    from datetime import date

    from backend.monitoring.demo import DEMO_DAY

    generate(tmp_path, persons=2000, seed=3)
    with (tmp_path / "registry.csv").open(encoding="utf-8") as handle:
        births = {r[2]: date(int(r[2][6:10]), int(r[2][10:12]), int(r[2][12:14]))
                  for r in list(csv.reader(handle))[1:] if not r[0].startswith("DEMOBAD")}
    with (tmp_path / "feeds" / "education.csv").open(encoding="utf-8") as handle:
        named = [r[1] for r in list(csv.reader(handle))[1:] if r[1] in births]
    ages = [(DEMO_DAY - births[number]).days // 365 for number in named]
    assert len(ages) > 30 and all(5 <= age <= 19 for age in ages), sorted(ages)
