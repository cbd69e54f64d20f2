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
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Protocol

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
    header = _csv_header(next(reader, None), required, optional)
    yield from _csv_rows(reader, header, 0)


def _csv_header(header: list[str] | None, required: Collection[str], optional: Collection[str]) -> tuple[str, ...]:
    if header is None:
        raise FileFormatError("the file is empty: a header line is expected")
    names = tuple(name.strip() for name in header)
    _check_header(names, required, optional)
    return names



class _CsvReader(Protocol):
    """What ``csv.reader`` returns: rows, and the number of the line it has read up to."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def _csv_rows(reader: _CsvReader, header: tuple[str, ...], offset: int) -> Iterator[tuple[int, Mapping[str, str]]]:
    """The rows ``reader`` (a csv reader) gives, with their lines: ``offset`` lines come before
    the first line it reads."""
    width = len(header)
    line = reader.line_num + 1 + offset
    for row in reader:
        if not row or row == [""]:
            line = reader.line_num + 1 + offset
            continue
        if len(row) != width:
            yield line, Unreadable(f"expected {width} fields, found {len(row)}")
        else:
            yield line, dict(zip(header, row, strict=True))
        line = reader.line_num + 1 + offset


def _check_header(header: tuple[str, ...], required: Collection[str], optional: Collection[str]) -> None:
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
    return _jsonl_rows(handle, 1)


def _jsonl_rows(lines: Iterable[str], first: int) -> Iterator[tuple[int, Mapping[str, str]]]:
    for line, text in enumerate(lines, start=first):
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


def _as_text(value: dict[str, object]) -> dict[str, str] | None:
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
    _check_format(file_format)
    with _utf8_text(path) as handle:
        if file_format == "csv":
            yield from read_csv(handle, required, optional)
        else:
            yield from read_jsonl(handle)


def _check_format(file_format: str) -> None:
    if file_format not in ("csv", "jsonl"):
        raise ValueError(f"unknown format {file_format!r}: csv or jsonl")


@contextmanager
def _utf8_text(path: Path) -> Iterator[IO[str]]:
    """The file as text, its rows' line breaks kept for the csv module; not UTF-8 is a format error."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            yield handle
        except UnicodeDecodeError:
            raise FileFormatError("the file is not UTF-8 text") from None


@dataclass(frozen=True)
class Lines:
    """Whole rows of a file as the lines that hold them, to be split into rows where they are
    checked (a worker process): sending lines costs a fraction of sending the rows made of them.

    Not slotted: it is pickled for worker processes, which slots make slower.
    """

    first: int  # the line number of ``lines[0]``
    lines: list[str]
    header: tuple[str, ...] | None  # a CSV file's columns; None for JSON Lines

    def rows(self) -> Iterator[tuple[int, Mapping[str, str]]]:
        if self.header is None:
            return _jsonl_rows(self.lines, self.first)
        return _csv_rows(csv.reader(self.lines), self.header, self.first - 1)


def open_lines(
    path: Path, file_format: str, required: Collection[str], optional: Collection[str] = (), *, lines: int
) -> Iterator[Lines]:
    """Read ``path`` like :func:`open_rows`, in blocks of about ``lines`` lines that end where a row ends.

    A CSV row may hold line breaks inside quotes: a block ends only after a line that leaves
    an even number of quote characters behind it (quotes inside a field are doubled, so the
    count stays even exactly where no field is open).

    Raises:
        OSError, FileFormatError: as :func:`open_rows`; a block that is not UTF-8 raises when
        it is read.
    """
    _check_format(file_format)
    with _utf8_text(path) as handle:
        header = None
        first = 1
        if file_format == "csv":
            reader = csv.reader(handle)
            header = _csv_header(next(reader, None), required, optional)
            first = reader.line_num + 1
        count_quotes = header is not None
        quotes = 0
        block: list[str] = []
        for text in handle:
            block.append(text)
            if count_quotes:
                quotes += text.count('"')
            if len(block) >= lines and not quotes % 2:
                yield Lines(first, block, header)
                first += len(block)
                block = []
        if block:
            yield Lines(first, block, header)


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
