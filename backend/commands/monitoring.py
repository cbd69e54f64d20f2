"""``yimen registry import``, ``yimen monitor import`` and ``yimen demo-data``.

Bad rows never stop an import: they go to an error report (CSV: line, field, reason; never an
ID number), next to the input file unless ``--errors`` says where, and the exit code is still 0.
Only a file that cannot be read at all exits with 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from backend.config import Config
from backend.monitoring.rows import FileFormatError, RowError, write_error_report

if TYPE_CHECKING:
    from backend.db.database import Database
    from backend.monitoring.feeds import ImportSummary
    from backend.monitoring.registry import RegistrySummary
    from backend.monitoring.rows import Lines

_T = TypeVar("_T")
_S = TypeVar("_S")
_R = TypeVar("_R")  # a row as its reader gives it


def add_registry_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="registry_command", required=True)
    imports = sub.add_parser("import", help="import households and persons to monitor (CSV, see docs/feeds.md)")
    imports.add_argument("file", type=Path)
    imports.add_argument("--errors", type=Path, help="where to write the rows refused (default: beside FILE)")


def add_monitor_arguments(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """``monitor import``; the subcommands, for the CLI to add its others to."""
    from backend.monitoring.feeds import FORMATS
    from backend.monitoring.vocabulary import SOURCES

    sub = parser.add_subparsers(dest="monitor_command", required=True)
    imports = sub.add_parser("import", help="import a department's data file and match it to the registry")
    imports.add_argument("--source", required=True, choices=tuple(SOURCES), help="the department the file is from")
    imports.add_argument("file", type=Path)
    imports.add_argument("--format", choices=FORMATS, help="csv or jsonl (default: from the file name)")
    imports.add_argument("--errors", type=Path, help="where to write the rows refused (default: beside FILE)")
    return sub


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    from backend.monitoring.demo import DEMO_DAY

    parser.add_argument("--persons", type=int, default=10_000, help="how many persons (default 10,000)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed writes the same files")
    parser.add_argument("--out", type=Path, default=Path("demo-data"), help="directory to write to")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEMO_DAY,
                        help=f"the day ages and event dates are relative to (default {DEMO_DAY})")
    parser.add_argument("--feed-format", choices=("csv", "jsonl"), default="csv")


def error_report_path(source: Path, explicit: Path | None) -> Path:
    """``--errors``, or ``NAME.errors.csv`` beside the input file."""
    return explicit or source.with_name(f"{source.stem}.errors.csv")


def _count_rows(path: Path) -> int | None:
    """Lines in the file, for the progress bar's total (None when it cannot be read)."""
    try:
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None


class _Bar:
    """A tqdm progress bar on stderr; the import tells it how many rows it handled."""

    def __init__(self, total: int | None, err: TextIO) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit=" rows", unit_scale=True, file=err, dynamic_ncols=True, leave=False)

    def __call__(self, rows: int) -> None:
        self._bar.update(rows)

    def close(self) -> None:
        self._bar.close()


def _guarded(rows: Iterable[_T], failure: list[Exception]) -> Iterator[_T]:
    """Stop quietly where the file cannot be read further, remembering why."""
    try:
        yield from rows
    except (OSError, FileFormatError) as error:
        failure.append(error)


async def run_registry(config: Config, args: argparse.Namespace, out: TextIO | None = None,
                       err: TextIO | None = None) -> int:
    from backend.crypto import IdHasher
    from backend.monitoring.registry import import_registry, read_registry_lines
    from backend.monitoring.vault import IdVault
    from backend.policy.pack import load_pack

    out, err = out or sys.stdout, err or sys.stderr

    def load(database: Database, rows: Iterable[Lines], bar: _Bar) -> Awaitable[RegistrySummary]:
        return import_registry(database, rows, pack=load_pack(config.pack), hasher=IdHasher(config.secret_key),
                               vault=IdVault(config.secret_key), now=datetime.now(UTC), progress=bar)

    summary, status = await _import_file(config, "yimen registry import", args.file, read_registry_lines(args.file),
                                         load, err=err)
    if summary is None:
        return status
    report = _report(args.file, args.errors, summary.errors)
    print(f"read {summary.read} rows: {summary.households} households and {summary.persons} persons imported, "
          f"{summary.removed} persons no longer listed removed, {len(summary.errors)} rows refused"
          + (f" (see {report})" if summary.errors else ""), file=out)
    return 0


async def run_monitor(config: Config, args: argparse.Namespace, out: TextIO | None = None,
                      err: TextIO | None = None) -> int:
    from backend.crypto import IdHasher
    from backend.monitoring.feeds import format_of, ingest, read_feed_lines

    out, err = out or sys.stdout, err or sys.stderr
    file_format = args.format or format_of(args.file)

    def load(database: Database, rows: Iterable[Lines], bar: _Bar) -> Awaitable[ImportSummary]:
        return ingest(database, args.source, rows, hasher=IdHasher(config.secret_key), now=datetime.now(UTC),
                      progress=bar)

    summary, status = await _import_file(config, "yimen monitor import", args.file,
                                         read_feed_lines(args.file, file_format), load, err=err,
                                         header=file_format == "csv")
    if summary is None:
        return status
    report = _report(args.file, args.errors, summary.errors)
    print(f"read {summary.read} / inserted {summary.inserted} / duplicates {summary.duplicates} / "
          f"errors {len(summary.errors)}" + (f" (see {report})" if summary.errors else ""), file=out)
    return 0


def run_demo(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from backend.monitoring.demo import generate

    out = out or sys.stdout
    if args.persons < 1:
        print("yimen demo-data: --persons must be at least 1", file=sys.stderr)
        return 2
    written = generate(args.out, persons=args.persons, seed=args.seed, as_of=args.as_of, feed_format=args.feed_format)
    for path, rows in written.items():
        print(f"wrote {path} ({rows} rows)", file=out)
    return 0


def _total(path: Path, header: bool = True) -> int | None:
    lines = _count_rows(path)
    return None if lines is None else max(lines - header, 0)  # a CSV header is no row


async def _import_file(config: Config, command: str, path: Path, rows: Iterable[_R],
                       load: Callable[[Database, Iterable[_R], _Bar], Awaitable[_S]], *, err: TextIO,
                       header: bool = True) -> tuple[_S | None, int]:
    """Import ``path``'s rows with a progress bar; the summary, or None and the exit status when the
    file could not be read to its end."""
    from backend.db.opening import open_database

    database = await open_database(config)
    failure: list[Exception] = []
    bar = _Bar(_total(path, header=header), err)
    try:
        summary = await load(database, _guarded(rows, failure), bar)
    finally:
        bar.close()
        await database.dispose()
    if failure:
        return None, _unreadable(command, path, failure[0], err)
    return summary, 0


def _report(source: Path, explicit: Path | None, errors: list[RowError]) -> Path:
    path = error_report_path(source, explicit)
    write_error_report(path, errors)
    return path


def _unreadable(command: str, path: Path, error: Exception, err: TextIO) -> int:
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    print(f"{command}: cannot read {path}: {reason}", file=err)
    return 2
