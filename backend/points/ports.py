"""The ledger's storage port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from backend.store.base import Transaction
from backend.store.notifications import NotificationRepository


class Holder(StrEnum):
    VOLUNTEER = "volunteer"
    RESIDENT = "resident"
    ENTERPRISE = "enterprise"
    MERCHANT = "merchant"
    # Where points come from: its balance is minus everything ever issued.
    ISSUER = "issuer"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    holder: Holder
    ref: str
    name: str


@dataclass(frozen=True, slots=True)
class Entry:
    txn: str
    account_id: int
    amount: int  # + credit, − debit; a transaction's entries sum to zero
    cause: str  # task, donation_money, donation_goods, donation_time, redemption, reversal
    ref: str
    note: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Code:
    account_id: int
    points: int
    expires_at: datetime
    used_at: datetime | None
    txn: str | None


class PointsRepository(Protocol):
    async def account(self, holder: Holder, ref: str, *, name: str, at: datetime) -> Account:
        """The account of a holder, opened on first use."""

    async def find(self, holder: Holder, ref: str) -> Account | None: ...

    async def lock(self, account_id: int) -> None:
        """Hold the account until the unit of work ends (no two debits can both pass the balance check)."""

    async def balance(self, account_id: int) -> int: ...

    async def post(self, txn: str, entries: list[Entry]) -> None:
        """Append a transaction's entries (they must sum to zero)."""

    async def entries(self, account_id: int, *, limit: int = 20) -> list[Entry]:
        """The account's newest entries first."""

    async def transaction(self, txn: str) -> list[Entry]: ...

    async def reversed(self, txn: str) -> bool:
        """Whether a reversal of ``txn`` was posted."""

    async def add_code(self, code_hash: str, *, account_id: int, points: int, expires_at: datetime) -> None: ...

    async def use_code(self, code_hash: str, *, at: datetime) -> Code | None:
        """Mark an unexpired, unused code used and return it; None when it is unknown, used or expired."""

    async def set_code_transaction(self, code_hash: str, txn: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Certificate:
    """An honour certificate: a volunteer reached ``milestone`` hours of service."""

    id: int
    volunteer_id: int
    milestone: int
    issued_at: datetime


class CertificateRepository(Protocol):
    async def add(self, volunteer_id: int, milestone: int, at: datetime) -> int | None:
        """Record a certificate and return its id; None when this milestone was given before.

        The database's unique (volunteer, milestone) decides, so of two awards at once exactly
        one gets an id; the unit of work stays usable either way."""

    async def list(self, volunteer_id: int) -> list[Certificate]:
        """The volunteer's certificates, lowest milestone first."""


class LedgerUnitOfWork(Transaction, Protocol):
    """What the ledger uses of a unit of work."""

    points: PointsRepository


class CertificatesUnitOfWork(Transaction, Protocol):
    """What awarding certificates uses of a unit of work."""

    certificates: CertificateRepository
    notifications: NotificationRepository
