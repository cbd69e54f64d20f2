"""What the registry and feed matching need of storage (implemented in ``backend.db.registry``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from backend.monitoring.outreach_ports import OutreachRepository
from backend.store.audit import AuditLog
from backend.store.base import Transaction


class HouseholdRecord(NamedTuple):
    """A household as assessed, ready to be written (inserted, or updated by its code)."""

    code: str
    office: str
    household: dict[str, object]
    monthly_income: Decimal
    layer: str | None
    resilience_level: int | None
    types: list[str]
    application_number: str | None = None


class PersonRecord(NamedTuple):
    """A person of a household being written; the household is named by its code."""

    household_code: str
    id_hash: str
    id_cipher: str
    name: str
    birth_date: date
    relation: str
    member: int
    category: str
    earner: bool


class PersonRef(NamedTuple):
    id: int
    household_id: int
    id_hash: str


class PersonSecret(NamedTuple):
    """What deciding whether to reveal a person's ID number needs."""

    id_cipher: str
    household_id: int
    office: str


# One staged department row: line, record_id, id_hash, kind, occurred_on, amount, grade; the date
# (YYYY-MM-DD) and the amount as text, which is how SQLite stores them: made in a worker process,
# a row then needs no conversion in the process that loads it, and pickles faster.
StagedRow = tuple[int, str, str, str, str, str | None, int | None]
STAGED_COLUMNS = ("line", "record_id", "id_hash", "kind", "occurred_on", "amount", "grade")


class RegistryRepository(Protocol):
    """The registry's households, persons and assessment history, and feed matching, set-based."""

    async def save_households(
        self, records: Sequence[HouseholdRecord], *, cause: str, at: datetime, unchanged_too: bool = False
    ) -> dict[str, int]:
        """Insert or update households by code, append changed assessments to the history; ids by code."""

    async def household_ids(self, codes: Iterable[str]) -> dict[str, int]: ...

    async def household_code(self, household_id: int) -> str | None: ...

    async def replace_persons(
        self, household_ids: dict[str, int], persons: Sequence[PersonRecord], *, at: datetime
    ) -> int:
        """Make ``persons`` the members of these households; how many persons left the registry."""

    async def persons_of(self, household_ids: Iterable[int]) -> list[PersonRef]: ...

    async def find_persons(self, id_hashes: Iterable[str]) -> list[PersonRef]: ...

    async def person_secret(self, person_id: int) -> PersonSecret | None: ...

    async def end_bulk(self) -> None:
        """Give back the memory a bulk import took (call before the unit of work ends).

        Raises:
            StoreError: a statement of the unit of work failed before, so the session refuses this one.
        """

    async def match_feed(self, source: str, rows: Sequence[StagedRow], *, now: datetime) -> tuple[int, list[int]]:
        """Store the rows of registry persons as events once per record; (inserted, lines of no person)."""


class FeedsUnitOfWork(Transaction, Protocol):
    """What matching a feed uses of a unit of work."""

    registry: RegistryRepository


class RegistryUnitOfWork(FeedsUnitOfWork, Protocol):
    """What importing and reading the registry uses of a unit of work."""

    audit: AuditLog
    outreach: OutreachRepository
