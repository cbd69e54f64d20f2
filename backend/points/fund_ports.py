"""The storage port of named funds (冠名基金): money in CNY, not credit points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from backend.store.base import Transaction


class FundHolder(StrEnum):
    ENTERPRISE = "enterprise"
    MERCHANT = "merchant"


class FundEntryKind(StrEnum):
    DONATION = "donation"  # money into the fund
    SPENDING = "spending"  # money out of it, on a project or a household
    # Cancels one earlier entry; neither money given nor money spent, so counted apart from both.
    CORRECTION = "correction"


class DuplicateFund(ValueError):
    """A fund with this code exists already."""


@dataclass(frozen=True, slots=True)
class Fund:
    id: int
    code: str
    name: str
    holder: FundHolder
    holder_ref: str  # an enterprise's id, or a merchant's account username
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FundEntry:
    id: int
    fund_id: int
    kind: FundEntryKind
    # A donation or a spending: above zero, the kind gives the direction. A correction: what it
    # does to the balance (below zero when it cancels a donation).
    amount: Decimal
    ref: str
    note: str
    by: str
    at: datetime

    @property
    def signed(self) -> Decimal:
        """What the entry does to the balance."""
        return -self.amount if self.kind is FundEntryKind.SPENDING else self.amount


class FundRepository(Protocol):
    async def create(self, *, code: str, name: str, holder: FundHolder, holder_ref: str, created_by: str,
                     at: datetime) -> Fund:
        """Raises DuplicateFund when the code is taken; the unit of work stays usable."""

    async def get(self, code: str) -> Fund | None: ...

    async def lock(self, fund_id: int) -> None:
        """Hold the fund until the unit of work ends (no two spendings can both pass the balance check)."""

    async def balance(self, fund_id: int) -> Decimal:
        """Donations less spending, to the fen."""

    async def totals(self, fund_id: int) -> dict[FundEntryKind, Decimal]:
        """Per kind, the sum of the amounts (every kind present, zero when it has none)."""

    async def add_entry(self, fund_id: int, *, kind: FundEntryKind, amount: Decimal, ref: str, note: str, by: str,
                        at: datetime) -> FundEntry:
        """Append an entry (entries are never changed)."""

    async def entry(self, fund_id: int, entry_id: int) -> FundEntry | None:
        """One entry of this fund."""

    async def with_ref(self, fund_id: int, ref: str) -> FundEntry | None:
        """The fund's first entry with this reference, if any."""

    async def entries(self, fund_id: int, *, limit: int = 20) -> list[FundEntry]:
        """The fund's newest entries first."""


class FundsUnitOfWork(Transaction, Protocol):
    """What the named funds use of a unit of work."""

    funds: FundRepository
