"""Reading department files row by row (CSV or JSON Lines), and the report of rows refused.

Readers yield ``(line, fields)``: the line the row starts on (the CSV header is line 1) and its
fields as text. A row that cannot even be read as fields (a CSV row with the wrong number of
fields, a JSON line that is not an object) comes as :class:`Unreadable`, so that it is reported
with its line like every other bad row instead of stopping the import.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

# CNY to the fen, below the 10 billion a NUMERIC(12, 2) column holds.
_AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?")


@dataclass(frozen=True, slots=True)
class RowError:
    """A row refused: its line, why, and the field at fault ("" for the row as a whole).

    Never carries the refused value: it may be an ID number.
    """

    line: int
    reason: str
    field: str = ""


class FileFormatError(ValueError):
    """The file cannot be read at all (missing or unknown header columns, not text)."""


class Unreadable(dict[str, str]):
    """A row that could not be split into fields; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def parse_amount(text: str) -> Decimal:
    """A non-negative amount of CNY with at most two decimals.

    Raises:
        ValueError: anything else (negative, more decimals, thousands separators, a currency sign).
    """
    if not _AMOUNT.fullmatch(text):
        raise ValueError(text)
    return Decimal(text)


def read_csv(
    handle: IO[str], required: Collection[str], optional: Collection[str] = ()
) -> Iterator[tuple[int, Mapping[str, str]]]:
    """The rows of a CSV file with a header line; blank lines are skipped.

    Raises:
        FileFormatError: the header lacks a required column, has an unknown or repeated one.
    """
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        raise FileFormatError("the file is empty: a header line is expected")
    header = [name.strip() for name in header]
    _check_header(header, required, optional)
    width = len(header)
    line = reader.line_num + 1
    for row in reader:
        if not row or row == [""]:
            line = reader.line_num + 1
            continue
        if len(row) != width:
            yield line, Unreadable(f"expected {width} fields, found {len(row)}")
        else:
            yield line, dict(zip(header, row))
        line = reader.line_num + 1


def _check_header(header: list[str], required: Collection[str], optional: Collection[str]) -> None:
    if len(set(header)) != len(header):
        raise FileFormatError("the header names a column twice")
    missing = [name for name in required if name not in header]
    if missing:
        raise FileFormatError(f"the header lacks the column(s) {', '.join(missing)}")
    unknown = [name for name in header if name not in required and name not in optional]
    if unknown:
        raise FileFormatError(f"the header has unknown column(s) {', '.join(unknown)}")


def read_jsonl(handle: IO[str]) -> Iterator[tuple[int, Mapping[str, str]]]:
    """The objects of a JSON Lines file, one per line, with their values as text.

    Numbers keep the text they were written with (no float rounding of amounts); null is an
    empty field. Blank lines are skipped.
    """
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text, parse_float=str, parse_int=str)
        except ValueError:
            yield line, Unreadable("not valid JSON")
            continue
        if not isinstance(value, dict):
            yield line, Unreadable("not a JSON object")
            continue
        fields = _as_text(value)
        yield line, fields if fields is not None else Unreadable("a value is neither text, a number nor null")


def _as_text(value: dict[str, Any]) -> dict[str, str] | None:
    fields: dict[str, str] = {}
    for key, item in value.items():
        if item is None:
            fields[key] = ""
        elif isinstance(item, str):
            fields[key] = item
        else:
            return None  # true/false, lists and objects have no meaning in any field
    return fields


def open_rows(
    path: Path, file_format: str, required: Collection[str], optional: Collection[str] = ()
) -> Iterator[tuple[int, Mapping[str, str]]]:
    """Read ``path`` as ``csv`` or ``jsonl`` (UTF-8, a byte-order mark allowed).

    Raises:
        OSError: the file cannot be opened.
        FileFormatError: see :func:`read_csv`; also a file that is not UTF-8.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            if file_format == "csv":
                yield from read_csv(handle, required, optional)
            elif file_format == "jsonl":
                yield from read_jsonl(handle)
            else:
                raise ValueError(f"unknown format {file_format!r}: csv or jsonl")
        except UnicodeDecodeError:
            raise FileFormatError("the file is not UTF-8 text") from None


def write_error_report(path: Path, errors: Iterable[RowError]) -> int:
    """Write the refused rows as CSV (line, field, reason); returns how many."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("line", "field", "reason"))
        for error in errors:
            writer.writerow((error.line, error.field, error.reason))
            count += 1
    return count
