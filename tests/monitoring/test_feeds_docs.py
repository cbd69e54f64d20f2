"""The examples in docs/feeds.md are files the imports accept, and the sources it lists are the code's."""

from __future__ import annotations

import io
import re
from pathlib import Path

from backend.db.database import Database
from backend.monitoring.feeds import FeedRow, parse_row
from backend.monitoring.registry import CATEGORIES
from backend.monitoring.rows import read_csv, read_jsonl
from backend.monitoring.vocabulary import SOURCES
from tests.monitoring.registry_files import import_registry_text

DOC = (Path(__file__).resolve().parents[2] / "docs" / "feeds.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


async def test_the_registry_example_imports_cleanly(database: Database, tmp_path: Path) -> None:
    [registry, _feed] = blocks("csv")
    summary = await import_registry_text(database, tmp_path, registry)
    assert (summary.households, summary.persons, summary.errors) == (1, 3, [])


def test_the_feed_examples_are_good_rows() -> None:
    [_registry, feed] = blocks("csv")
    rows = list(read_csv(io.StringIO(feed), ("record_id", "id_number", "kind", "occurred_on"), ("amount", "grade")))
    rows += list(read_jsonl(io.StringIO(blocks("json")[0])))
    sources = ["medical", "medical", "disability", "disability"]
    parsed = [parse_row(source, fields, line) for source, (line, fields) in zip(sources, rows, strict=True)]
    assert len(parsed) == 4 and all(isinstance(row, FeedRow) for row in parsed), parsed


def test_every_source_kind_and_category_is_documented() -> None:
    for source, kinds in SOURCES.items():
        for kind in kinds:
            assert f"| `{source}` | `{kind}` |" in DOC
    for category in CATEGORIES:
        assert f"`{category}`" in DOC
