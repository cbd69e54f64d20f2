"""The registry of the monitored population ("5+N"): households and persons, assessed.

Households come from civil affairs' registers (``yimen registry import FILE``, CSV, see
``docs/feeds.md``) and from applications submitted through Yimen. Each household is kept as
the policy engine reads it, without ID numbers, and assessed; every assessment is appended to
its history. Persons are matched by the keyed hash of their ID number (the hash applications
carry too); the number itself is stored encrypted and shown only to the household's office.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from backend.monitoring import registry_blocks
from backend.monitoring.feeds import Progress
from backend.monitoring.registry_ports import HouseholdRecord, PersonRecord, RegistryUnitOfWork
from backend.monitoring.registry_rows import (
    CATEGORIES,
    OTHER_GROUPS,
    REGISTERED_GROUPS,
    Built,
    Draft,
    Grouper,
    build,
    household_record,
)
from backend.monitoring.rows import Lines, RowError, open_lines, open_rows
from backend.monitoring.vault import IdVault
from backend.monitoring.workers import Workers, worth_starting
from backend.policy.pack import Pack
from backend.store.base import Store
from backend.store.errors import NotFound
from backend.store.users import OFFICE_ROLES, User
from locales import mask_id_number

if TYPE_CHECKING:
    from backend.crypto import IdHasher

__all__ = [
    "CATEGORIES", "COLUMNS", "OTHER_GROUPS", "REGISTERED_GROUPS", "RegistrySummary", "household_record",
    "import_registry", "local_day", "read_registry", "read_registry_lines", "reveal",
]

PERSON_COLUMNS = (
    "household_code", "office", "id_number", "name", "relation", "category", "earner", "health",
    "disability_grade", "work", "monthly_income",
)
# Read from the head's row (relation "self"); ignored on the other rows of the household.
HOUSEHOLD_COLUMNS = (
    "savings", "vehicles", "homes", "housing", "monthly_rent", "pension", "relatives_support",
    "agricultural_income", "other_income", "medical_spending", "education_spending", "hardship", "able_supporter",
)
COLUMNS = PERSON_COLUMNS + HOUSEHOLD_COLUMNS

REVEAL_ACTION = "registry.reveal_id"

# Rows (or households) handled between two chances for the chunk being written to go on.
_YIELD_EVERY = 100
# Lines per block a worker process reads: about 2,000 households, small enough that the process
# writes the first blocks while the workers read the next, a megabyte or two each in flight.
BLOCK_LINES = 5_000
# Rows from which worker processes repay their start (about half a second, the pack loaded in each).
PARALLEL_FROM = 20_000


@dataclass(slots=True)
class RegistrySummary:
    """What a registry import did."""

    read: int = 0
    households: int = 0
    persons: int = 0
    removed: int = 0  # persons no longer listed in a household that was imported again
    errors: list[RowError] = field(default_factory=list)


# ----------------------------------------------------------------------------------------- import


def read_registry(path: Path) -> Iterator[tuple[int, Mapping[str, str]]]:
    """The rows of a registry CSV file, for :func:`import_registry`.

    Raises (while iterating):
        OSError: the file cannot be opened.
        FileFormatError: the header is not the registry's columns; not UTF-8.
    """
    return open_rows(path, "csv", COLUMNS)


def read_registry_lines(path: Path, *, lines: int = BLOCK_LINES) -> Iterator[Lines]:
    """The rows of a registry CSV file as blocks of about ``lines`` lines, for :func:`import_registry`:
    for a large file, worker processes then split the lines into rows as well as checking them.

    Raises (while iterating): as :func:`read_registry`.
    """
    return open_lines(path, "csv", COLUMNS, lines=lines)


def local_day(now: datetime, pack: Pack) -> date:
    """Today in the region of ``pack``: ages and parameters go by the region's calendar."""
    return now.astimezone(ZoneInfo(pack.regions.timezone)).date()


async def import_registry(
    database: Store[RegistryUnitOfWork],
    rows: Iterable[tuple[int, Mapping[str, str]] | Lines],
    *,
    pack: Pack,
    hasher: IdHasher,
    vault: IdVault,
    now: datetime,
    chunk: int = 1000,
    progress: Progress | None = None,
    processes: int | None = None,
) -> RegistrySummary:
    """Import registry rows (see ``docs/feeds.md``), ``chunk`` households per transaction.

    Each household is built from its rows (ages from the birth dates in the ID numbers, on the
    region's today), assessed under ``pack``, written with its assessment appended to the
    history (cause ``import``), and its persons made the ones listed. Rows that cannot be read
    are refused with their line; the others go in. Importing the same file again changes
    nothing but the assessment time; a household imported again is replaced by its new rows.

    Args:
        rows: the rows (:func:`read_registry`), or blocks of a file's lines
            (:func:`read_registry_lines`), which worker processes check, build and assess.
        processes: worker processes for blocks of lines (0: none, the process does it all); by
            default one per core once :data:`PARALLEL_FROM` rows were read. Workers load
            ``pack`` from its directory: a pack changed only in memory needs 0.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    day = local_day(now, pack)
    offices = {o.code: d.code for d in pack.regions.districts for o in d.offices}
    summary = RegistrySummary()
    grouper = Grouper(offices, day)
    ready: list[Draft | Built] = []  # households finished, in the file's order, not yet handed over
    reported = 0
    writing: asyncio.Task[None] | None = None
    workers: Workers | None = None
    started = False
    in_flight: deque[tuple[Lines, asyncio.Future[registry_blocks.Block]]] = deque()

    async def write(households: list[HouseholdRecord], persons: list[PersonRecord], read: int) -> None:
        nonlocal reported
        if households:
            async with database.unit_of_work(bulk=True) as uow:
                ids = await uow.registry.save_households(households, cause="import", at=now)
                summary.removed += await uow.registry.replace_persons(ids, persons, at=now)
                await uow.commit()
            summary.households += len(households)
            summary.persons += len(persons)
        if progress is not None and read > reported:
            progress(read - reported)
            reported = read

    async def hand_over(at_least: int) -> None:
        """Build and assess the ready households, ``chunk`` at a time while ``at_least`` are ready,
        each chunk written while the next is being built."""
        nonlocal writing
        while ready and len(ready) >= at_least:
            households: list[HouseholdRecord] = []
            persons: list[PersonRecord] = []
            for count, item in enumerate(ready[:chunk], start=1):
                record, people = build(item, day, pack, hasher, vault) if isinstance(item, Draft) else item
                households.append(record)
                persons += people
                if count % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # the chunk being written goes on to its next statement
            del ready[:chunk]
            if writing is not None:
                await writing
            writing = asyncio.create_task(write(households, persons, summary.read))

    async def drain(depth: int) -> None:
        """Merge the oldest blocks until at most ``depth`` are still with the workers."""
        while len(in_flight) > depth:
            lines, future = in_flight.popleft()
            block = await future
            summary.read += block.read
            registry_blocks.merge(block, lines, grouper, ready)
            await hand_over(chunk)

    def start_workers(read: int) -> Workers | None:
        wanted = worth_starting(read, worth_from=PARALLEL_FROM) if processes is None else processes
        if not wanted:
            return None
        pool = Workers(wanted, registry_blocks.start,
                       (pack.name, str(pack.directory.parent), offices, day, hasher, vault))
        for _ in range(wanted):
            pool.submit(registry_blocks.ready)
        return pool

    async def add(line: int, fields: Mapping[str, str]) -> None:
        summary.read += 1
        grouper.add(line, fields)
        if summary.read % _YIELD_EVERY == 0:
            registry_blocks.collect(grouper, ready)
            await hand_over(chunk)
            await asyncio.sleep(0)

    try:
        for item in rows:
            if isinstance(item, Lines):
                if not started and (processes is not None or summary.read + len(item.lines) >= PARALLEL_FROM):
                    # Decided once, where the file proved long enough (or as told).
                    started = True
                    workers = start_workers(summary.read + len(item.lines))
                if workers is not None:
                    in_flight.append((item, workers.submit(registry_blocks.prepare, item)))
                    await drain(2 * workers.processes)  # each worker has the next block waiting
                    continue
                for line, fields in item.rows():
                    await add(line, fields)
            else:
                await add(*item)
        await drain(0)
        grouper.close()
        registry_blocks.collect(grouper, ready)
        await hand_over(1)
    finally:
        if writing is not None:
            await writing
        if workers is not None:
            workers.close()
    summary.errors = sorted(grouper.errors, key=lambda e: e.line)
    return summary


# ------------------------------------------------------------------------------------ reveal


async def reveal(uow: RegistryUnitOfWork, person_id: int, user: User, *, vault: IdVault, now: datetime) -> str:
    """A registry person's ID number as ``user`` may see it, in the caller's unit of work.

    In full only to the caseworkers and supervisors of the household's office, and every such
    showing is written to the audit log (the caller commits); masked for everyone else.

    Raises:
        NotFound: no such person.
    """
    secret = await uow.registry.person_secret(person_id)
    if secret is None:
        raise NotFound(f"no registry person {person_id}")
    id_number = vault.decrypt(secret.id_cipher)
    if user.active and user.role in OFFICE_ROLES and user.office == secret.office:
        await uow.audit.record(
            actor=user.username,
            action=REVEAL_ACTION,
            target=f"registry_person:{person_id}",
            details={"household_id": secret.household_id},
            at=now,
        )
        return id_number
    return mask_id_number(id_number)
