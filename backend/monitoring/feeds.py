"""Department data (部门数据比对): rows from other departments matched to the registry.

Each source sends rows of a few kinds (see ``docs/feeds.md``). A row names a person by ID
number; the number is hashed at once and only the hash reaches the database, where a whole
chunk of rows is matched to the registry's persons in one statement.

``parse_row`` and ``ingest`` are also what the HTTP push of department data calls.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from backend.monitoring.registry_ports import FeedsUnitOfWork, StagedRow
from backend.monitoring.rows import Lines, RowError, Unreadable, open_lines, open_rows, parse_amount
from backend.monitoring.vocabulary import SOURCES, Needs
from backend.monitoring.workers import Workers, done, worth_starting
from backend.store.base import Store
from backend.store.errors import StoreError
from id_numbers import BadIdNumber, check_id_number
from locales import mask_id_number

if TYPE_CHECKING:
    from backend.crypto import IdHasher


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
# Rows checked, staged and matched at a time: fewer, larger statements, measured about 5 % faster
# on a million-row file than 10,000, with a few megabytes per chunk in flight.
CHUNK_ROWS = 25_000
# Rows read between two chances for the chunk being matched to go on to its next statement.
_YIELD_EVERY = 500
# Rows read before worker processes take over checking and hashing (starting them takes about a second).
PARALLEL_FROM = 50_000


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

    def __call__(self, rows: int) -> object: ...


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
        # Only the number itself is judged: a row must match a registry person, whose birth
        # date was judged when the registry took them in.
        id_number, _ = check_id_number(raw_id, today=None)
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
    database: Store[FeedsUnitOfWork],
    source: str,
    rows: Iterable[tuple[int, Mapping[str, str]] | Lines],
    *,
    hasher: IdHasher,
    now: datetime,
    chunk: int = CHUNK_ROWS,
    progress: Progress | None = None,
    processes: int | None = None,
) -> ImportSummary:
    """Check, match and store department rows of ``source``, ``chunk`` rows at a time.

    Each chunk is staged in bulk and matched to the registry in one statement; its rows whose
    (source, record_id) is already stored are counted as duplicates and change nothing, so a
    file can be imported again safely. Rows of no registry person are refused ("unknown
    person") with their line. Chunks are committed together up to about
    :data:`TRANSACTION_ROWS` rows: an interrupted import is completed by importing the same
    file again.

    Args:
        rows: the rows (:func:`read_feed`), or blocks of a file's lines (:func:`read_feed_lines`),
            which worker processes split into rows themselves.
        processes: worker processes that check and hash the rows while the database matches
            (0: none, the process does it between statements); by default one per core once
            :data:`PARALLEL_FROM` rows were read.

    Raises:
        ValueError: unknown ``source``, or ``chunk`` below 1.
    """
    _check_source(source)
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    summary = ImportSummary()
    latest = now.date() + _LATEST
    writer = _ChunkWriter(database, source, now, summary, progress)
    workers: Workers | None = None
    checked: deque[asyncio.Future[_Checked]] = deque()  # chunks being checked, in order
    writing: asyncio.Task[None] | None = None
    read = 0  # rows read so far (lines of blocks sent to workers included)

    async def hand_over(depth: int) -> None:
        """Write the oldest checked chunks until at most ``depth`` are still being checked."""
        nonlocal writing
        while len(checked) > depth:
            result = await checked.popleft()
            summary.read += result.read
            summary.duplicates += result.duplicates
            summary.errors.extend(result.errors)
            if writing is not None:
                await writing
            # The database matches one chunk while the next are read and checked; chunks are
            # still written one after the other, in the file's order.
            writing = asyncio.create_task(writer.write(result.staged, result.read))

    pending: list[tuple[int, Mapping[str, str]]] = []  # the chunk being read
    added = 0  # rows of ``pending`` checked in the process so far
    checking = _Checking(source, hasher, latest)

    def hand_in() -> None:
        """The chunk read so far goes to be checked: in a worker, or finished in the process."""
        nonlocal pending, added
        if workers is not None:
            checked.append(workers.submit(_check_rows, source, hasher, latest, pending))
        else:
            checking.add(pending[added:])
            checked.append(done(checking.finish()))
        pending, added = [], 0

    async def start_workers() -> None:
        """Workers check the next chunks once the input is long enough to repay starting them."""
        nonlocal workers
        if workers is None:
            wanted = worth_starting(read, worth_from=PARALLEL_FROM) if processes is None else processes
            workers = Workers(wanted) if wanted else None

    try:
        for item in rows:
            if isinstance(item, Lines) and workers is not None:
                # A block of lines goes to a worker as it is; rows read before it go first.
                if pending:
                    hand_in()
                checked.append(workers.submit(_check_lines, source, hasher, latest, item))
                read += len(item.lines)
                await hand_over(workers.processes)
                continue
            for row in item.rows() if isinstance(item, Lines) else (item,):
                read += 1
                pending.append(row)
                if len(pending) == chunk:
                    hand_in()
                    await start_workers()
                    await hand_over(workers.processes if workers is not None else 0)
                elif workers is None and len(pending) % _YIELD_EVERY == 0:
                    checking.add(pending[added:])
                    added = len(pending)
                    await asyncio.sleep(0)  # let the chunk being written go on to its next statement
        if pending:
            hand_in()
        await hand_over(0)
        if writing is not None:
            await writing
            writing = None
        await writer.commit()
    finally:
        if writing is not None:
            await asyncio.gather(writing, return_exceptions=True)
        if workers is not None:
            workers.close()
        await writer.abandon()
    summary.errors.sort(key=lambda error: error.line)
    return summary


@dataclass(slots=True)
class _Checked:
    """A chunk of rows checked: the rows to stage, the rows refused, the repeats within it."""

    staged: list[StagedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: int = 0
    read: int = 0  # rows


class _Checking:
    """Checks and hashes one chunk's rows as they come."""

    def __init__(self, source: str, hasher: IdHasher, latest: date) -> None:
        self._source, self._hasher, self._latest = source, hasher, latest
        self._result, self._seen = _Checked(), set[str]()

    def add(self, rows: Iterable[tuple[int, Mapping[str, str]]]) -> None:
        result, seen, hasher = self._result, self._seen, self._hasher
        for line, fields in rows:
            result.read += 1
            parsed = parse_row(self._source, fields, line)
            if isinstance(parsed, RowError):
                result.errors.append(parsed)
            elif parsed.occurred_on > self._latest:
                result.errors.append(RowError(line, "in the future", "occurred_on"))
            elif parsed.record_id in seen:
                # The same record twice in one chunk: the first stays (a later chunk meets the stored one).
                result.duplicates += 1
            else:
                seen.add(parsed.record_id)
                amount = parsed.amount
                result.staged.append(
                    (line, parsed.record_id, hasher(parsed.id_number), parsed.kind, parsed.occurred_on.isoformat(),
                     None if amount is None else str(amount), parsed.grade)
                )

    def finish(self) -> _Checked:
        """The chunk's result, its rows in the order the database matches them in (by ID hash);
        the next rows added start a new chunk."""
        result, self._result, self._seen = self._result, _Checked(), set()
        result.staged.sort(key=itemgetter(2))
        return result


def _check_rows(source: str, hasher: IdHasher, latest: date, rows: Iterable[tuple[int, Mapping[str, str]]]) -> _Checked:
    """A whole chunk checked in a worker process."""
    checking = _Checking(source, hasher, latest)
    checking.add(rows)
    return checking.finish()


def _check_lines(source: str, hasher: IdHasher, latest: date, lines: Lines) -> _Checked:
    """A block of a file's lines split into rows and checked in a worker process."""
    return _check_rows(source, hasher, latest, lines.rows())


class _ChunkWriter:
    """Matches chunks in the order given, in transactions of up to :data:`TRANSACTION_ROWS` rows."""

    def __init__(
        self, database: Store[FeedsUnitOfWork], source: str, now: datetime, summary: ImportSummary,
        progress: Progress | None,
    ) -> None:
        self._database, self._source, self._now = database, source, now
        self._summary, self._progress = summary, progress
        self._uow: FeedsUnitOfWork | None = None
        self._rows = 0

    async def write(self, rows: list[StagedRow], read: int) -> None:
        """Match one chunk; ``read`` rows of the input are then done."""
        summary = self._summary
        if rows:
            if self._uow is None:
                # Every event joins to the person and household it names, in this transaction.
                self._uow = await self._database.unit_of_work(references_kept=True, bulk=True).__aenter__()
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
                with suppress(StoreError):
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


def read_feed_lines(path: Path, file_format: str = "csv", *, lines: int = CHUNK_ROWS) -> Iterable[Lines]:
    """The rows of a feed file as blocks of about ``lines`` lines, for :func:`ingest`: for a large
    file, worker processes then split the lines into rows as well as checking them.

    Raises (while iterating): as :func:`read_feed`.
    """
    return open_lines(path, file_format, REQUIRED_FIELDS, OPTIONAL_FIELDS, lines=lines)


def format_of(path: Path) -> str:
    """The format a file's name suggests: ``jsonl`` for .jsonl/.ndjson, else ``csv``."""
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"

