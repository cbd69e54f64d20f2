"""Department rows checked one by one: every kind of every source, and every way a row can be wrong."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backend.monitoring.feeds import FeedRow, parse_row
from backend.monitoring.rows import FileFormatError, RowError, Unreadable, open_lines, open_rows, read_csv, read_jsonl
from backend.monitoring.vocabulary import SOURCES
from tests.monitoring.registry_files import HEAD

BAD_DIGIT = HEAD[:17] + ("0" if HEAD[17] != "0" else "1")
GOOD = {
    ("public_security", "death"): {},
    ("public_security", "registration_change"): {},
    ("medical", "out_of_pocket"): {"amount": "23000.50"},
    ("disability", "disability_assessed"): {"grade": "2"},
    ("hr", "unemployed"): {},
    ("hr", "employed"): {},
    ("education", "enrolled"): {},
    ("education", "left_school"): {},
    ("emergency", "disaster_loss"): {"amount": "8000"},
    ("civil_affairs", "assistance_exit"): {},
    ("civil_affairs", "income_change"): {"amount": "0"},
}


def fields(kind: str, **extra: str) -> dict[str, str]:
    return {"record_id": "R-1", "id_number": HEAD, "kind": kind, "occurred_on": "2026-10-01", **extra}


def test_every_kind_of_every_source_is_covered() -> None:
    assert {(source, kind) for source, kinds in SOURCES.items() for kind in kinds} == set(GOOD)


@pytest.mark.parametrize(("source", "kind"), sorted(GOOD))
def test_a_good_row_of_each_kind(source: str, kind: str) -> None:
    extra = GOOD[(source, kind)]
    row = parse_row(source, fields(kind, **extra), 7)
    assert isinstance(row, FeedRow), row
    assert (row.line, row.source, row.record_id, row.id_number, row.kind, row.occurred_on) == (
        7, source, "R-1", HEAD, kind, date(2026, 10, 1)
    )
    assert row.amount == (Decimal(extra["amount"]) if "amount" in extra else None)
    assert row.grade == (int(extra["grade"]) if "grade" in extra else None)


@pytest.mark.parametrize(
    ("source", "row", "field", "reason"),
    [
        ("medical", fields("out_of_pocket", amount="10", id_number=BAD_DIGIT), "id_number", "check digit"),
        ("medical", fields("out_of_pocket", amount="10", id_number="12345"), "id_number", "17 digits"),
        ("medical", fields("out_of_pocket", amount="10", occurred_on="2026-02-30"), "occurred_on", "YYYY-MM-DD"),
        ("medical", fields("out_of_pocket", amount="10", occurred_on="01/10/2026"), "occurred_on", "YYYY-MM-DD"),
        ("medical", fields("out_of_pocket", amount="1,000"), "amount", "amount"),
        ("medical", fields("out_of_pocket", amount="-10"), "amount", "amount"),
        ("medical", fields("out_of_pocket", amount="10.005"), "amount", "amount"),
        ("medical", fields("out_of_pocket", amount="0"), "amount", "above zero"),
        ("medical", fields("out_of_pocket"), "amount", "needs an amount"),
        ("medical", fields("death"), "kind", "unknown kind"),
        ("emergency", fields("disaster_loss", amount="¥500"), "amount", "amount"),
        ("civil_affairs", fields("income_change", amount="abc"), "amount", "amount"),
        ("public_security", fields("death", amount="5"), "amount", "no amount"),
        ("disability", fields("disability_assessed", grade="5"), "grade", "1 to 4"),
        ("disability", fields("disability_assessed"), "grade", "1 to 4"),
        ("hr", fields("unemployed", grade="2"), "grade", "no grade"),
        ("education", fields("enrolled", record_id="has space"), "record_id", "printable"),
        ("education", fields("enrolled", record_id="x" * 65), "record_id", "64"),
        ("education", fields("enrolled", record_id=""), "record_id", "missing"),
        ("education", {k: v for k, v in fields("enrolled").items() if k != "occurred_on"}, "occurred_on", "missing"),
        ("hr", fields("employed", salary="5000"), "salary", "unknown field"),
    ],
)
def test_bad_rows_say_which_field_and_why(source: str, row: dict[str, str], field: str, reason: str) -> None:
    refused = parse_row(source, row, 12)
    assert isinstance(refused, RowError), refused
    assert (refused.line, refused.field) == (12, field) and reason in refused.reason
    assert HEAD not in refused.reason and BAD_DIGIT not in refused.reason


def test_an_unreadable_row_is_refused_as_a_whole() -> None:
    refused = parse_row("hr", Unreadable("expected 6 fields, found 7"), 3)
    assert refused == RowError(3, "expected 6 fields, found 7", "")


def test_an_unknown_source_is_the_callers_mistake() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        parse_row("tax", fields("death"), 1)


def test_the_id_number_is_not_in_a_rows_repr() -> None:
    row = parse_row("public_security", fields("death"), 1)
    assert isinstance(row, FeedRow)
    assert HEAD not in repr(row) and HEAD[-4:] in repr(row)


def test_csv_rows_know_their_lines_and_their_shape() -> None:
    text = (
        "record_id,id_number,kind,occurred_on\n"
        "A,1,death,2026-01-01\n"
        "\n"
        '"B\nC",1,death,2026-01-01\n'
        "D,1,death\n"
        "E,1,death,2026-01-01,extra\n"
    )
    rows = list(read_csv(io.StringIO(text), ("record_id", "id_number", "kind", "occurred_on")))
    assert [line for line, _ in rows] == [2, 4, 6, 7]
    assert rows[0][1] == {"record_id": "A", "id_number": "1", "kind": "death", "occurred_on": "2026-01-01"}
    assert rows[1][1]["record_id"] == "B\nC"
    assert isinstance(rows[2][1], Unreadable) and rows[2][1].reason == "expected 4 fields, found 3"
    assert isinstance(rows[3][1], Unreadable) and rows[3][1].reason == "expected 4 fields, found 5"


def test_jsonl_rows_keep_the_text_of_numbers() -> None:
    text = (
        '{"record_id": "A", "amount": 1234.50, "grade": 2, "note": null}\n'
        "\n"
        "[1, 2]\n"
        "{not json\n"
        '{"record_id": "B", "amount": true}\n'
    )
    rows = list(read_jsonl(io.StringIO(text)))
    assert [line for line, _ in rows] == [1, 3, 4, 5]
    assert rows[0][1] == {"record_id": "A", "amount": "1234.50", "grade": "2", "note": ""}
    assert [r.reason for _, r in rows[1:]] == [  # type: ignore[attr-defined]
        "not a JSON object", "not valid JSON", "a value is neither text, a number nor null"
    ]


@pytest.mark.parametrize("lines", [1, 2, 3, 100])
@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_blocks_of_lines_hold_whole_rows_with_their_lines(tmp_path: Path, file_format: str, lines: int) -> None:
    if file_format == "csv":
        text = (
            "\ufeffrecord_id,id_number,kind,occurred_on\r\n"
            "A,1,death,2026-01-01\r\n"
            "\r\n"
            '"B\nC ""quoted""\n",1,death,2026-01-01\r\n'  # one row over three lines
            "D,1,death\r\n"
            '"E",1,death,"2026-01-01"\r\n'
        )
    else:
        text = '{"record_id": "A"}\n\n[1]\n{"record_id": "B", "amount": 1.50}\n'
    path = tmp_path / f"feed.{file_format}"
    path.write_text(text, encoding="utf-8")
    required = ("record_id", "id_number", "kind", "occurred_on") if file_format == "csv" else ()

    blocks = list(open_lines(path, file_format, required, lines=lines))

    def seen(rows: Iterable[tuple[int, Mapping[str, str]]]) -> list[tuple[int, dict[str, str], str | None]]:
        return [(line, dict(fields), getattr(fields, "reason", None)) for line, fields in rows]

    from_blocks = seen(row for b in blocks for row in b.rows())
    whole = seen(open_rows(path, file_format, required))
    assert from_blocks == whole and len(whole) == (4 if file_format == "csv" else 3)
    assert all(len(b.lines) >= lines for b in blocks[:-1])
    if file_format == "csv":
        assert [line for line, _, _ in whole] == [2, 4, 7, 8] and whole[1][1]["record_id"] == 'B\nC "quoted"\n'


def test_a_block_reader_checks_the_header_and_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text("record_id,kind\nA,death\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="lacks the column"):
        list(open_lines(path, "csv", ("record_id", "id_number"), lines=100))
    path.write_bytes(b"record_id\nA\n\xff\xfe\n")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        list(open_lines(path, "csv", ("record_id",), lines=100))
