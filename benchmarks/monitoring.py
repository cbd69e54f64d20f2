"""Monitoring benchmark: a city's registry, then a department's data matched against it.

Writes a demo city (default 1,000,000 persons in about 400,000 households, and a medical
feed of one row per person) with ``yimen demo-data``'s generator, then on a fresh database:

1. imports the registry (every household built, assessed and written with its history);
2. loads the medical rows in bulk without matching them: read, checked, hashed and appended
   to a plain table of the same columns, chunk by chunk as the import does (the baseline);
3. imports the medical feed: the same, plus matching every chunk to the registry in one
   statement, storing the events and reporting the rows of no registry person (worker
   processes check and hash the rows, one per core, as ``yimen monitor import`` does);
4. evaluates the triggers on the new events (``backend.monitoring.triggers.evaluate``, with
   worker processes assessing the households);
5. imports the feed again (every row a duplicate), for information.

It prints the time of each step with the CPU it took in this process, in the worker processes
and (a local PostgreSQL) in the server's backends, the ratio of step 3 to step 2, and the peak
RSS of the process (the generator's list of ID numbers included) plus that of its workers.

With ``--against-sqlite`` the same city runs on a fresh SQLite file first and then on the
PostgreSQL database, and the run ends with PostgreSQL's ratios: its import ÷ its own baseline,
and its trigger evaluation ÷ SQLite's.

    python3 benchmarks/monitoring.py [--persons 1000000] [--seed 1]
    python3 benchmarks/monitoring.py --database-url postgresql+asyncpg://postgres@127.0.0.1/yimen_bench
    python3 benchmarks/monitoring.py --database-url postgresql+asyncpg://… --against-sqlite

The PostgreSQL database must be one to throw away: its public schema is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# benchmarks/telegram.py would shadow the python-telegram-bot package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from backend.crypto import IdHasher  # noqa: E402
from backend.db.database import Database  # noqa: E402
from backend.db.migrate import upgrade  # noqa: E402
from backend.db.registry import bulk_load  # noqa: E402
from backend.monitoring.demo import generate  # noqa: E402
from backend.monitoring.feeds import (  # noqa: E402
    CHUNK_ROWS,
    ImportSummary,
    ingest,
    parse_row,
    read_feed,
    read_feed_lines,
)
from backend.monitoring.registry import import_registry, read_registry  # noqa: E402
from backend.monitoring.registry_ports import STAGED_COLUMNS, StagedRow  # noqa: E402
from backend.monitoring.rows import RowError  # noqa: E402
from backend.monitoring.vault import IdVault  # noqa: E402
from backend.policy.pack import Pack, load_pack  # noqa: E402
from tests.databases import reset_postgres_schema  # noqa: E402

SECRET = b"monitoring-benchmark-secret-key-0123456789"
FEED_TARGET_SECONDS = 60.0
PG_IMPORT_TARGET = 1.5  # PostgreSQL's import + match ÷ its plain bulk load
PG_EVALUATION_TARGET = 1.2  # PostgreSQL's trigger evaluation ÷ SQLite's
RSS_TARGET_MIB = 1024.0
# (database, pack, now) -> anything: where trigger evaluation plugs in.
Evaluate = Callable[..., Awaitable[Any]]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class MemoryWatch:
    """The largest resident memory of this process and its worker processes together, sampled.

    ``RUSAGE_CHILDREN`` would not do: a spawned worker starts as a fork of this process, so its
    recorded peak is this process's size at the fork, pages it never wrote to included.
    """

    def __init__(self, every: float = 0.1) -> None:
        self.peak_mib = 0.0
        self._every, self._stop = every, threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory-watch", daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self._every):
            pids = [os.getpid(), *(p.pid for p in multiprocessing.active_children())]
            self.peak_mib = max(self.peak_mib, sum(_rss_kib(pid) for pid in pids) / 1024)


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
    except OSError:  # the worker ended meanwhile
        return 0


def load_evaluate() -> Evaluate | None:
    """``backend.monitoring.triggers.evaluate`` if it exists yet."""
    try:
        module = importlib.import_module("backend.monitoring.triggers")
    except ModuleNotFoundError:
        return None
    return getattr(module, "evaluate", None)


async def load_scratch_table(
    database: Database, table: str, definition: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]],
    chunk: int,
) -> int:
    """Append ``rows`` to a table made for the run (``CREATE TABLE table (definition)``, dropped
    after), ``chunk`` rows per transaction: the baseline an import is measured against."""
    async with database.engine.begin() as connection:
        await connection.exec_driver_sql(f"CREATE TABLE {table} ({definition})")
    loaded = 0
    batch: list[tuple[object, ...]] = []

    async def flush() -> None:
        nonlocal loaded
        async with database.engine.begin() as connection:
            await bulk_load(connection, table, columns, batch)
        loaded += len(batch)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            await flush()
    if batch:
        await flush()
    async with database.engine.begin() as connection:
        await connection.exec_driver_sql(f"DROP TABLE {table}")
    return loaded


async def plain_bulk_load(
    database: Database, source: str, rows: Iterable[tuple[int, Mapping[str, str]]], hasher: IdHasher, chunk: int
) -> int:
    """The baseline: the import's reading, checking, hashing and bulk insert, without matching."""

    def staged() -> Iterator[StagedRow]:
        for line, fields in rows:
            parsed = parse_row(source, fields, line)
            if isinstance(parsed, RowError):
                continue
            yield (line, parsed.record_id, hasher(parsed.id_number), parsed.kind, parsed.occurred_on.isoformat(),
                   None if parsed.amount is None else str(parsed.amount), parsed.grade)

    return await load_scratch_table(
        database, "bench_plain_load",
        "line INTEGER NOT NULL, record_id VARCHAR(64) NOT NULL, id_hash VARCHAR(64) NOT NULL, "
        "kind VARCHAR(32) NOT NULL, occurred_on DATE NOT NULL, amount NUMERIC(12, 2), grade INTEGER",
        STAGED_COLUMNS, staged(), chunk,
    )


def step(name: str, seconds: float, detail: str = "", cpu: str = "") -> None:
    print(f"{name:<44} {seconds:8.1f} s   {detail}".rstrip(), flush=True)
    if cpu:
        print(f"{'':<44} {cpu}", flush=True)


class CpuClock:
    """CPU seconds of this process, of its finished worker processes, and of the database's server
    backends (a PostgreSQL on this machine: ``/proc`` of each backend of the database)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._server: dict[int, float] = {}

    async def read(self) -> tuple[float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time(), children.ru_utime + children.ru_stime, await self._server_cpu()

    async def _server_cpu(self) -> float:
        if self._database.engine.dialect.name != "postgresql":
            return 0.0
        async with self._database.engine.connect() as connection:
            pids = (await connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars().all()
        tick = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:  # another machine's server, or the backend ended
                continue
            self._server[pid] = (int(fields[11]) + int(fields[12])) / tick
        # Backends that ended keep the CPU they had when last seen.
        return sum(self._server.values())

    @staticmethod
    def spent(before: tuple[float, float, float], after: tuple[float, float, float]) -> str:
        own, workers, server = (b - a for a, b in zip(before, after, strict=True))
        text = f"CPU: process {own:.1f} s, workers {workers:.1f} s"
        return text + (f", PostgreSQL backends {server:.1f} s" if server else "")


async def run(url: str, directory: Path, persons: int, chunk: int, evaluate: Evaluate | None,
              memory: MemoryWatch) -> dict[str, float]:
    """One database's run; the seconds of its baseline, import and evaluation."""
    pack: Pack = load_pack("demo")
    hasher, vault = IdHasher(SECRET), IdVault(SECRET)
    now = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    if url.startswith("postgresql"):
        await reset_postgres_schema(url)
    await upgrade(url)
    database = Database(url)
    await database.connect()
    clock = CpuClock(database)
    try:
        started = time.perf_counter()
        registry = await import_registry(database, read_registry(directory / "registry.csv"), pack=pack,
                                         hasher=hasher, vault=vault, now=now)
        step("registry import", time.perf_counter() - started,
             f"{registry.households:,} households, {registry.persons:,} persons, {len(registry.errors)} rows refused, "
             f"{(registry.persons / (time.perf_counter() - started)):,.0f} persons/s")
        if url.startswith("postgresql"):
            # What autovacuum does soon after a bulk load: statistics, and the visibility map that lets
            # the look-up of unknown persons read the hash index alone.
            started = time.perf_counter()
            async with database.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.exec_driver_sql("VACUUM ANALYZE registry_households, registry_persons")
            step("VACUUM ANALYZE of the registry", time.perf_counter() - started)
        feed = directory / "feeds" / "medical.csv"

        cpu = await clock.read()
        started = time.perf_counter()
        loaded = await plain_bulk_load(database, "medical", read_feed(feed), hasher, chunk)
        baseline = time.perf_counter() - started
        cpu, before = await clock.read(), cpu
        step("plain bulk load of the feed (baseline)", baseline, f"{loaded:,} rows, {loaded / baseline:,.0f} rows/s",
             clock.spent(before, cpu))

        started = time.perf_counter()
        summary: ImportSummary = await ingest(database, "medical", read_feed_lines(feed, lines=chunk), hasher=hasher,
                                              now=now, chunk=chunk)
        matched = time.perf_counter() - started
        cpu, before = await clock.read(), cpu
        step("feed import + match", matched,
             f"read {summary.read:,}, inserted {summary.inserted:,}, duplicates {summary.duplicates:,}, "
             f"errors {len(summary.errors):,}; {summary.read / matched:,.0f} rows/s", clock.spent(before, cpu))

        evaluated = 0.0
        if evaluate is None:
            print("trigger evaluation: skipped, backend.monitoring.triggers.evaluate does not exist yet")
        else:
            started = time.perf_counter()
            outcome = await evaluate(database, pack, now=now)
            evaluated = time.perf_counter() - started
            cpu, before = await clock.read(), cpu
            step("trigger evaluation", evaluated, f"{outcome!r}"[:100], clock.spent(before, cpu))

        started = time.perf_counter()
        again = await ingest(database, "medical", read_feed_lines(feed, lines=chunk), hasher=hasher, now=now,
                             chunk=chunk)
        cpu, before = await clock.read(), cpu
        step("feed import again (all duplicates)", time.perf_counter() - started,
             f"inserted {again.inserted:,}, duplicates {again.duplicates:,}", clock.spent(before, cpu))

        total = matched + evaluated
        print(f"import + match ÷ plain bulk load: {matched / baseline:.2f}")
        print(f"feed import + match + trigger evaluation: {total:.1f} s (target ≤ {FEED_TARGET_SECONDS:.0f} s, "
              f"{'met' if total <= FEED_TARGET_SECONDS else 'NOT met'})")
        own = peak_rss_mib()
        rss = max(own, memory.peak_mib)
        print(f"peak RSS: {rss:,.0f} MiB (this process and its worker processes together, sampled every "
              f"0.1 s; the process alone {own:,.0f} MiB; target ≤ {RSS_TARGET_MIB:,.0f} MiB, "
              f"{'met' if rss <= RSS_TARGET_MIB else 'NOT met'})")
        return {"baseline": baseline, "import": matched, "evaluation": evaluated}
    finally:
        await database.dispose()


def compare(sqlite: Mapping[str, float], postgres: Mapping[str, float]) -> None:
    """PostgreSQL's ratios, measured in this run."""
    imported, on_sqlite = postgres["import"] / postgres["baseline"], sqlite["import"] / sqlite["baseline"]
    print(f"PostgreSQL import + match ÷ its plain bulk load: {imported:.2f} (SQLite {on_sqlite:.2f}; "
          f"target ≤ {PG_IMPORT_TARGET}, {'met' if imported <= PG_IMPORT_TARGET else 'NOT met'})")
    if sqlite["evaluation"]:
        evaluated = postgres["evaluation"] / sqlite["evaluation"]
        print(f"PostgreSQL trigger evaluation ÷ SQLite's: {evaluated:.2f} ({postgres['evaluation']:.1f} s vs "
              f"{sqlite['evaluation']:.1f} s; target ≤ {PG_EVALUATION_TARGET}, "
              f"{'met' if evaluated <= PG_EVALUATION_TARGET else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=CHUNK_ROWS, help="feed rows per chunk")
    parser.add_argument("--database-url", help="PostgreSQL to use instead of a fresh SQLite file (emptied first)")
    parser.add_argument("--workdir", type=Path, help="where to write the city (default: a temporary directory)")
    parser.add_argument("--against-sqlite", action="store_true",
                        help="run on a fresh SQLite file first, then on --database-url, and compare")
    args = parser.parse_args()
    if args.against_sqlite and not (args.database_url or "").startswith("postgresql"):
        parser.error("--against-sqlite needs a PostgreSQL --database-url")

    with tempfile.TemporaryDirectory(prefix="yimen-monitoring-") as scratch:
        directory = args.workdir or Path(scratch) / "city"
        started = time.perf_counter()
        written = generate(directory, persons=args.persons, seed=args.seed)
        rows = {path.name: count for path, count in written.items()}
        step("generate the city", time.perf_counter() - started,
             f"registry {rows['registry.csv']:,} rows, medical feed {rows['medical.csv']:,} rows")
        sqlite = f"sqlite+aiosqlite:///{Path(scratch) / 'monitoring.sqlite3'}"
        urls = [sqlite, args.database_url] if args.against_sqlite else [args.database_url or sqlite]
        results = []
        for url in urls:
            print(f"database: {url.split('://')[0]}")
            with MemoryWatch() as memory:
                results.append(asyncio.run(run(url, directory, args.persons, args.chunk, load_evaluate(), memory)))
        if args.against_sqlite:
            compare(*results)


if __name__ == "__main__":
    main()
