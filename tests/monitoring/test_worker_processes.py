"""Large imports and evaluations hand the checking and the assessing to worker processes; the
result is the same as in the process, row for row and alert for alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend.db.database import Database
from backend.monitoring import feeds, reassess
from backend.monitoring.triggers import evaluate
from backend.monitoring.workers import Workers
from tests.monitoring.registry_files import HASHER, feed_csv, ingest_text
from tests.monitoring.seed import NOW, PACK, add_events, add_household, alerts, event, household, member, registry
from tests.monitoring.test_feeds_set_based import medical
from tests.monitoring.test_feeds_set_based import registry as seed_registry


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions sent to worker processes."""
    sent: list[str] = []

    class Watched(Workers):
        def submit(self, function: Any, *args: Any) -> Any:
            sent.append(function.__name__)
            return super().submit(function, *args)

    monkeypatch.setattr(feeds, "Workers", Watched)
    monkeypatch.setattr(reassess, "Workers", Watched)
    return sent


async def test_an_import_checked_by_workers_counts_and_refuses_the_same_rows(database: Database, tmp_path: Path,
                                                                              submitted: list[str]) -> None:
    await seed_registry(database, tmp_path, 200)
    good = medical(950).splitlines()
    bad = feed_csv(("B1", "110101199001011234", "out_of_pocket", "2026-10-01", "10.00", ""),  # bad check digit
                   ("B2", good[1].split(",")[1], "out_of_pocket", "someday", "10.00", "")).splitlines()[1:]
    text = "\n".join([*good, *bad, good[5]]) + "\n"  # the last row repeats the fifth

    summary = await ingest_text(database, tmp_path, "medical", text, chunk=100, processes=1)

    assert submitted == ["_check_rows"] * 9  # the first of the ten chunks is checked in the process
    assert (summary.read, summary.inserted, summary.duplicates) == (953, 950, 1)
    assert [(e.line, e.field) for e in summary.errors] == [(952, "id_number"), (953, "occurred_on")]
    again = await ingest_text(database, tmp_path, "medical", text, chunk=100, processes=0)
    assert (again.inserted, again.duplicates, len(again.errors)) == (0, 951, 2)


async def test_a_file_read_in_blocks_of_lines_is_split_into_rows_by_the_workers(
        database: Database, tmp_path: Path, submitted: list[str]) -> None:
    await seed_registry(database, tmp_path, 200)
    good = medical(950).splitlines()
    # A row over two lines (a record id cannot hold a line break) where a block would end.
    broken = '"B1\nB2",' + good[1].split(",", 1)[1]
    text = "\n".join([*good[:250], broken, *good[250:], good[5]]) + "\n"
    path = tmp_path / "medical.csv"
    path.write_text(text, encoding="utf-8")

    summary = await feeds.ingest(database, "medical", feeds.read_feed_lines(path, lines=100), hasher=HASHER, now=NOW,
                                 chunk=100, processes=1)

    # The first block is split and checked in the process; the rest go to the worker as lines.
    assert submitted == ["_check_lines"] * 9
    assert (summary.read, summary.inserted, summary.duplicates) == (952, 950, 1)
    assert [(e.line, e.field) for e in summary.errors] == [(251, "record_id")]
    again = await ingest_text(database, tmp_path, "medical", text, chunk=100, processes=0)
    assert (again.inserted, again.duplicates, [e.line for e in again.errors]) == (0, 951, [251])


async def test_households_assessed_by_workers_are_written_and_alerted_as_in_the_process(
        database: Database, submitted: list[str]) -> None:
    worse = [await add_household(database, household(member("self", 45, income="3500"),
                                                     member("spouse", 43, work="unable"), office="wenchang"))
             for _ in range(3)]
    fine = await add_household(database, household(member("self", 45, income="8000"),
                                                   member("spouse", 43, income="7000"), savings="200000"))
    await add_events(database, [event(s.person(), s.id, "death") for s in [*worse, fine]])

    summary = await evaluate(database, PACK, now=NOW, batch=2, processes=1)

    assert submitted == ["_ready", "_reassess_in_worker", "_reassess_in_worker"]
    assert (summary.households, summary.worsened, summary.alerts, summary.events) == (4, 3, 3, 4)
    assert sorted(a.household_id for a in await alerts(database)) == sorted(s.id for s in worse)
    [alert] = await alerts(database, worse[0].id)
    assert alert.trace["before"]["layer"] == "watch" and alert.trace["after"]["layer"] == "tekun"
    assert [e["kind"] for e in alert.trace["events"]] == ["death"]
    assert (await registry(database, worse[2].id)).layer == "tekun"
    assert [m["relation"] for m in (await registry(database, fine.id)).household["members"]] == ["spouse"]
