"""Registry import benchmark: a city's registry file imported as ``yimen registry import`` does.

Writes a demo city with ``yimen demo-data``'s generator (default 1,000,000 persons in about
400,000 households), then on a fresh database (SQLite by default, ``--database-url`` for a
PostgreSQL database to throw away: its public schema is dropped):

1. the baseline: the file's rows read and appended as they are (24 text columns, nothing
   checked, hashed, encrypted or assessed) to a plain table, 25,000 rows per transaction, the
   fastest way the database offers (``backend.db.registry.bulk_load``);
2. the registry import (``backend.monitoring.registry.import_registry`` on blocks of lines,
   worker processes checking, building and assessing; ``--processes 0`` for none).

It prints both times, persons/s, the ratio, the peak RSS of the process and its workers, and
a digest of what was stored (households, persons, assessments, without the ciphertexts, whose
nonces are random): the same digest for ``--processes 0`` and for workers, and on SQLite and
PostgreSQL, shows the same output.

    python3 benchmarks/registry.py [--persons 1000000] [--seed 1] [--processes N]
    python3 benchmarks/registry.py --database-url postgresql+asyncpg://postgres@127.0.0.1/bench_registry
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# benchmarks/telegram.py would shadow the python-telegram-bot package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from backend.crypto import IdHasher  # noqa: E402
from backend.db.database import Database  # noqa: E402
from backend.db.migrate import upgrade  # noqa: E402
from backend.db.models import RegistryAssessmentRow, RegistryHouseholdRow, RegistryPersonRow  # noqa: E402
from backend.monitoring.demo import generate  # noqa: E402
from backend.monitoring.registry import COLUMNS, import_registry, read_registry, read_registry_lines  # noqa: E402
from backend.monitoring.vault import IdVault  # noqa: E402
from backend.policy.pack import load_pack  # noqa: E402
from benchmarks.monitoring import MemoryWatch, load_scratch_table  # noqa: E402
from tests.databases import reset_postgres_schema  # noqa: E402

SECRET = b"registry-benchmark-secret-key-0123456789"
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
BASELINE_ROWS = 25_000
TARGETS = {"sqlite": 60.0, "postgresql": 90.0}


async def plain_bulk_load(database: Database, path: Path) -> int:
    """The baseline: the file's rows appended as text, nothing checked."""
    rows = ((line, *(fields[name] for name in COLUMNS)) for line, fields in read_registry(path)
            if len(fields) == len(COLUMNS))
    columns = ", ".join(f"{name} TEXT" for name in COLUMNS)
    return await load_scratch_table(database, "bench_registry_rows", f"line INTEGER NOT NULL, {columns}",
                                    ("line", *COLUMNS), rows, BASELINE_ROWS)


async def digest(database: Database) -> str:
    """A hash of what the import stored, the same on every database for the same output."""
    households, persons, history = RegistryHouseholdRow, RegistryPersonRow, RegistryAssessmentRow
    sha = hashlib.sha256()

    def add(*values: object) -> None:
        sha.update(json.dumps(values, sort_keys=True, default=_plain).encode())
        sha.update(b"\n")

    async with database.engine.connect() as connection:
        codes: dict[int, str] = {}
        rows = await connection.stream(select(households.__table__).order_by(households.code))
        async for h in rows:
            codes[h.id] = h.code
            add(h.code, h.office, h.household, h.monthly_income, h.layer, h.resilience_level, h.types,
                h.application_number, h.assessed_at)
        rows = await connection.stream(select(persons.__table__).order_by(persons.id_hash))
        async for p in rows:
            add(codes[p.household_id], p.id_hash, p.name, p.birth_date, p.relation, p.member, p.category, p.earner)
        rows = await connection.stream(select(history.__table__).order_by(history.household_id, history.id))
        async for a in rows:
            add(codes[a.household_id], a.layer, a.resilience_level, a.types, a.cause, a.at)
    return sha.hexdigest()[:16]


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def step(name: str, seconds: float, detail: str = "") -> None:
    print(f"{name:<36} {seconds:8.1f} s   {detail}".rstrip(), flush=True)


async def run(url: str, path: Path, processes: int | None, check: bool, memory: MemoryWatch) -> None:
    pack = load_pack("demo")
    if url.startswith("postgresql"):
        await reset_postgres_schema(url)
    await upgrade(url)
    database = Database(url)
    await database.connect()
    try:
        started = time.perf_counter()
        loaded = await plain_bulk_load(database, path)
        baseline = time.perf_counter() - started
        step("plain bulk load (baseline)", baseline, f"{loaded:,} rows, {loaded / baseline:,.0f} rows/s")

        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_cpu = children.ru_utime + children.ru_stime
        started, cpu = time.perf_counter(), time.process_time()
        summary = await import_registry(database, read_registry_lines(path), pack=pack, hasher=IdHasher(SECRET),
                                        vault=IdVault(SECRET), now=NOW, processes=processes)
        took = time.perf_counter() - started
        process_cpu = time.process_time() - cpu
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = children.ru_utime + children.ru_stime - children_cpu
        step("registry import", took,
             f"{summary.households:,} households, {summary.persons:,} persons, {len(summary.errors)} rows refused, "
             f"{summary.persons / took:,.0f} persons/s")
        print(f"CPU: this process {process_cpu:.1f} s, its workers {workers_cpu:.1f} s "
              f"({(process_cpu + workers_cpu) / max(summary.persons, 1) * 1e6:.0f} µs a person)")
        kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        target = TARGETS[kind]
        print(f"import ÷ plain bulk load: {took / baseline:.2f}")
        print(f"registry import: {took:.1f} s (target ≤ {target:.0f} s on {kind} for 1,000,000 persons, "
              f"{'met' if took <= target else 'NOT met'} at this size)")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS: {max(own, memory.peak_mib):,.0f} MiB (this process and its workers together, sampled "
              f"every 0.1 s; the process alone {own:,.0f} MiB)")
        if check:
            print(f"digest of the stored registry: {await digest(database)}")
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, help="worker processes (default: one per core; 0: none)")
    parser.add_argument("--database-url", help="PostgreSQL to use instead of a fresh SQLite file (emptied first)")
    parser.add_argument("--workdir", type=Path, help="where to write the city (default: a temporary directory)")
    parser.add_argument("--no-digest", action="store_true", help="skip reading back what was stored")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yimen-registry-") as scratch:
        directory = args.workdir or Path(scratch) / "city"
        started = time.perf_counter()
        written = generate(directory, persons=args.persons, seed=args.seed)
        rows = {path.name: count for path, count in written.items()}
        step("generate the city", time.perf_counter() - started, f"registry {rows['registry.csv']:,} rows")
        url = args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'registry.sqlite3'}"
        print(f"database: {url.split('://')[0]}; {os.cpu_count()} cores; load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        with MemoryWatch() as memory:
            asyncio.run(run(url, directory / "registry.csv", args.processes, not args.no_digest, memory))


if __name__ == "__main__":
    main()
