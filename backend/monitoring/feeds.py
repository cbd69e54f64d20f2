"""Department data (部门数据比对): rows from other departments matched to the registry.

Each source sends rows of a few kinds (see ``docs/feeds.md``). A row names a person by ID
number; the number is hashed at once and only the hash reaches the database, where a whole
chunk of rows is matched to the registry's persons in one statement.

``parse_row`` and ``ingest`` are also what the HTTP push of department data calls.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from sqlalchemy.exc import SQLAlchemyError

from backend.monitoring.id_numbers import BadIdNumber, check_id_number
from backend.monitoring.registry_ports import StagedRow
from backend.monitoring.rows import RowError, Unreadable, open_rows, parse_amount
from backend.monitoring.vocabulary import SOURCES, Needs
from locales import mask_id_number

if TYPE_CHECKING:
    from backend.intake import IdHasher
    from backend.ports import UnitOfWork


REQUIRED_FIELDS = ("record_id", "id_number", "kind", "occurred_on")
OPTIONAL_FIELDS = ("amount", "grade")
FORMATS = ("csv", "jsonl")

_FIELDS = frozenset(REQUIRED_FIELDS + OPTIONAL_FIELDS)
_NOTHING, _AMOUNT, _GRADE = Needs.NOTHING, Needs.AMOUNT, Needs.GRADE
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RECORD_ID = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII without spaces, as department keys are
_GRADES = {"1": 1, "2": 2, "3": 3, "4": 4}
# A row dated after the region's today is wrong; UTC may still be on the day before.
_LATEST = timedelta(days=1)
_EARLIEST = date(1900, 1, 1)
_UNKNOWN_PERSON = "unknown person: no one in the registry has this ID number"
# Rows per transaction. Each commit writes every index page its rows touched, and the events'
# indexes are keyed by household: small transactions write the same pages again and again
# (with 10,000 rows per commit, a million-row file took three times as long on SQLite). On
# SQLite a transaction also holds the single write lock, for a few seconds at this size.
TRANSACTION_ROWS = 250_000
# Rows read between two chances for the chunk being matched to go on to its next statement.
_YIELD_EVERY = 500


class FeedRow(NamedTuple):
    """A department row, checked. ``id_number`` is never shown in its repr (logs).

    A named tuple: a million of these are made per file, and a frozen dataclass costs more.
    """

    line: int
    source: str
    record_id: str
    id_number: str
    kind: str
    occurred_on: date
    amount: Decimal | None = None
    grade: int | None = None

    def __repr__(self) -> str:
        return (
            f"FeedRow(line={self.line}, source={self.source!r}, record_id={self.record_id!r}, "
            f"id_number={mask_id_number(self.id_number)!r}, kind={self.kind!r}, occurred_on={self.occurred_on}, "
            f"amount={self.amount}, grade={self.grade})"
        )


@dataclass(slots=True)
class ImportSummary:
    """What an import did: rows read, events inserted, rows already there, rows refused."""

    read: int = 0
    inserted: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)


class Progress(Protocol):
    """Told how many more rows were handled (``tqdm.update`` fits)."""

    def __call__(self, rows: int) -> Any: ...


class _Database(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...


def parse_row(source: str, fields: Mapping[str, str], line: int) -> FeedRow | RowError:
    """Check one row of ``source``; the reason of a refusal never includes the values.

    Raises:
        ValueError: ``source`` is not one of :data:`SOURCES` (a caller's mistake, not the row's).
    """
    kinds = SOURCES.get(source)
    if kinds is None:
        raise ValueError(f"unknown source {source!r}")
    if isinstance(fields, Unreadable):
        return RowError(line, fields.reason)
    unknown = fields.keys() - _FIELDS
    if unknown:
        return RowError(line, "unknown field", min(unknown))
    get = fields.get
    record_id = get("record_id", "").strip()
    raw_id = get("id_number", "")
    kind = get("kind", "").strip()
    raw_date = get("occurred_on", "").strip()
    if not (record_id and raw_id and kind and raw_date):
        return RowError(line, "missing", next(n for n in REQUIRED_FIELDS if not get(n, "").strip()))
    needs = kinds.get(kind)
    if needs is None:
        return RowError(line, f"unknown kind for {source}: expected one of {', '.join(kinds)}", "kind")
    if not _RECORD_ID.fullmatch(record_id):
        return RowError(line, "must be 1 to 64 printable characters without spaces", "record_id")
    try:
        id_number, _ = check_id_number(raw_id)
    except BadIdNumber as error:
        return RowError(line, str(error), "id_number")
    occurred = _date(raw_date)
    if occurred is None:
        return RowError(line, "not a date (YYYY-MM-DD)", "occurred_on")
    raw_amount = get("amount", "").strip()
    raw_grade = get("grade", "").strip()
    amount: Decimal | None = None
    grade: int | None = None
    if needs is _NOTHING:
        if raw_amount:
            return RowError(line, f"{kind} takes no amount", "amount")
    elif needs is _GRADE:
        if raw_amount:
            return RowError(line, f"{kind} takes no amount", "amount")
    elif not raw_amount:
        return RowError(line, f"missing: {kind} needs an amount", "amount")
    else:
        try:
            amount = parse_amount(raw_amount)
        except ValueError:
            return RowError(line, "not an amount of CNY (digits, at most two decimals)", "amount")
        if needs is _AMOUNT and not amount:
            return RowError(line, f"must be above zero for {kind}", "amount")
    if needs is _GRADE:
        grade = _GRADES.get(raw_grade)
        if grade is None:
            return RowError(line, "must be a disability grade 1 to 4", "grade")
    elif raw_grade:
        return RowError(line, f"{kind} takes no grade", "grade")
    return FeedRow(line, source, record_id, id_number, kind, occurred, amount, grade)


@lru_cache(maxsize=8192)
def _date(text: str) -> date | None:
    """A strict YYYY-MM-DD date (remembered: a file has a few hundred distinct days)."""
    if not _DATE.fullmatch(text):
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if value >= _EARLIEST else None


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")


async def ingest(
    database: _Database,
    source: str,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    hasher: IdHasher,
    now: datetime,
    chunk: int = 10_000,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check, match and store department rows of ``source``, ``chunk`` rows at a time.

    Each chunk is staged in bulk and matched to the registry in one statement; its rows whose
    (source, record_id) is already stored are counted as duplicates and change nothing, so a
    file can be imported again safely. Rows of no registry person are refused ("unknown
    person") with their line. Chunks are committed together up to about
    :data:`TRANSACTION_ROWS` rows: an interrupted import is completed by importing the same
    file again.

    Raises:
        ValueError: unknown ``source``, or ``chunk`` below 1.
    """
    _check_source(source)
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    summary = ImportSummary()
    latest = now.date() + _LATEST
    staged: list[StagedRow] = []
    in_chunk: set[str] = set()
    writer = _ChunkWriter(database, source, now, summary, progress)
    writing: asyncio.Task[None] | None = None
    try:
        since = 0  # rows read since the last chunk was handed over
        for line, fields in rows:
            summary.read += 1
            since += 1
            parsed = parse_row(source, fields, line)
            if isinstance(parsed, RowError):
                summary.errors.append(parsed)
            elif parsed.occurred_on > latest:
                summary.errors.append(RowError(line, "in the future", "occurred_on"))
            elif parsed.record_id in in_chunk:
                # The same record twice in one chunk: the first stays (a later chunk meets the stored one).
                summary.duplicates += 1
            else:
                in_chunk.add(parsed.record_id)
                staged.append(
                    (line, parsed.record_id, hasher(parsed.id_number), parsed.kind, parsed.occurred_on,
                     parsed.amount, parsed.grade)
                )
            if since == chunk:
                # The database matches one chunk while the next is read and hashed; chunks are
                # still written one after the other, in the file's order.
                if writing is not None:
                    await writing
                writing = asyncio.create_task(writer.write(staged, since))
                staged, in_chunk, since = [], set(), 0
            elif since % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the chunk being written go on to its next statement
        if writing is not None:
            await writing
            writing = None
        await writer.write(staged, since)
        await writer.commit()
    finally:
        if writing is not None:
            await asyncio.gather(writing, return_exceptions=True)
        await writer.abandon()
    summary.errors.sort(key=lambda error: error.line)
    return summary


class _ChunkWriter:
    """Matches chunks in the order given, in transactions of up to :data:`TRANSACTION_ROWS` rows."""

    def __init__(
        self, database: _Database, source: str, now: datetime, summary: ImportSummary, progress: Progress | None
    ) -> None:
        self._database, self._source, self._now = database, source, now
        self._summary, self._progress = summary, progress
        self._uow: UnitOfWork | None = None
        self._rows = 0

    async def write(self, rows: list[StagedRow], read: int) -> None:
        """Match one chunk; ``read`` rows of the input are then done."""
        summary = self._summary
        if rows:
            if self._uow is None:
                self._uow = await self._database.unit_of_work().__aenter__()
            inserted, unmatched = await self._uow.registry.match_feed(self._source, rows, now=self._now)
            summary.inserted += inserted
            summary.duplicates += len(rows) - len(unmatched) - inserted
            summary.errors.extend(RowError(line, _UNKNOWN_PERSON, "id_number") for line in unmatched)
            self._rows += len(rows)
            if self._rows >= TRANSACTION_ROWS:
                await self.commit()
        if self._progress is not None and read:
            self._progress(read)

    async def commit(self) -> None:
        if self._uow is not None:
            await self._uow.registry.end_bulk()
            await self._uow.commit()
            await self.abandon()

    async def abandon(self) -> None:
        """End the open transaction; whatever was not committed is rolled back."""
        uow, self._uow, self._rows = self._uow, None, 0
        if uow is not None:
            try:
                # After a failed statement the session refuses any other: the connection then keeps
                # its wider cache, which is bounded.
                with suppress(SQLAlchemyError):
                    await uow.registry.end_bulk()
            finally:
                await uow.__aexit__(None, None, None)


def read_feed(path: Path, file_format: str = "csv") -> Iterable[tuple[int, Mapping[str, str]]]:
    """The rows of a feed file, for :func:`ingest`.

    Raises (while iterating):
        OSError: the file cannot be opened.
        FileFormatError: a CSV header without the required columns or with unknown ones; not UTF-8.
    """
    return open_rows(path, file_format, REQUIRED_FIELDS, OPTIONAL_FIELDS)


def format_of(path: Path) -> str:
    """The format a file's name suggests: ``jsonl`` for .jsonl/.ndjson, else ``csv``."""
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"

