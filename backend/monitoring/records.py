"""Values and ports of monitoring: the registry and feed rows trigger evaluation reads and writes,
and alerts; the database implements the ports (backend/db/triggers.py, alerts.py, push.py)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypedDict

from backend.store.audit import AuditLog
from backend.store.base import Transaction
from backend.store.outbox import OutboxRepository
from backend.store.users import UserRepository


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class FeedEvent:
    """A department's row matched to a person of the registry."""

    id: int
    household_id: int
    person_id: int
    kind: str
    occurred_on: date
    amount: Decimal | None
    grade: int | None
    serious: bool  # its detail marks a serious illness (medical rows)
    imported_at: datetime
    pending: bool  # not evaluated yet


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class RegistryPerson:
    id: int
    household_id: int
    member: int  # index into the household's members; -1 once the person left it (died)
    birth_date: date
    earner: bool


@dataclass(frozen=True, slots=True)
class RegistryHousehold:
    id: int
    office: str
    # backend.policy.household.Household as stored, JSON text: it is parsed where it is replayed.
    household_json: str
    layer: str | None
    resilience_level: int | None
    types: tuple[str, ...]
    assessed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SpendingHit:
    """A household whose spending within the window reached a threshold (the most it reached)."""

    household_id: int
    spent: Decimal
    until: date  # the last day of a window that reached it
    monthly_income: Decimal


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class Candidate:
    """A pending event a per-person test may fire on (a medical row only when marked serious), once
    checked against the household's state."""

    event_id: int
    household_id: int
    kind: str
    amount: Decimal | None
    grade: int | None
    exit_on: date | None  # income changes: the latest exit from assistance on or before it


@dataclass(frozen=True, slots=True)
class Reassessed:
    """A household assessed again after its events were applied."""

    household_id: int
    household_json: str  # backend.policy.household.Household as JSON text
    monthly_income: Decimal
    layer: str
    resilience_level: int
    types: tuple[str, ...]
    cause: str
    assessed_at: datetime
    # Person id → member index, for households a death changed (the others are left alone).
    members: Mapping[int, int]


class TriggerStore(Protocol):
    """What trigger evaluation needs of the database; every method is one statement."""

    async def begin(self) -> int | None:
        """Start the unit of work on one snapshot, as the only evaluation: how many events are
        pending, or None when another evaluation runs."""

    async def spending_over(self, kind: str, *, days: int, amount: Decimal, share: Decimal,
                            on: date) -> list[SpendingHit]:
        """Households with a pending ``kind`` event whose ``kind`` amounts within the ``days`` ending
        on ``on`` (the day of the evaluation) reached ``amount``, or ``share`` of a year of their
        income (when they have an income); events outside those days count for nothing."""

    async def candidates(self, kinds: Sequence[str], *, serious_kind: str | None, exit_kind: str,
                         income_kind: str, since: date, until: date) -> list[Candidate]:
        """Pending events of ``kinds``, and pending ``serious_kind`` events marked serious, dated
        ``since`` to ``until`` (an ``income_kind`` event: up to ``until``, its rule having its own
        months); an ``income_kind`` event comes with the latest ``exit_kind`` event on or before its day."""

    async def households(self, ids: Sequence[int]) -> list[RegistryHousehold]: ...

    async def persons(self, household_ids: Sequence[int]) -> list[RegistryPerson]: ...

    async def unapplied(self, household_ids: Sequence[int]) -> list[FeedEvent]:
        """The households' events not yet applied to their facts (pending, or imported since their
        last assessment), in the order they happened."""

    async def save(self, reassessed: Sequence[Reassessed], *, at: datetime) -> None:
        """Write the households' new facts and assessment, and append their history."""

    async def mark_evaluated(self) -> int:
        """Mark every pending event evaluated; how many."""


# ---------------------------------------------------------------- alerts


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ACTED = "acted"
    DISMISSED = "dismissed"


class AlertAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ACT = "act"
    DISMISS = "dismiss"


OPEN = frozenset({AlertStatus.NEW, AlertStatus.ACKNOWLEDGED})


class AlertReason(TypedDict):
    """Why an alert was raised, as it is stored and rendered in the reader's language."""

    rule: str  # the trigger rule's id
    test: str  # its test: the message that renders the reason
    params: dict[str, object]  # the values the message shows


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    household_id: int
    household_code: str
    office: str
    trigger: str
    reason: AlertReason
    status: AlertStatus
    deadline_at: datetime
    escalated_at: datetime | None
    created_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    dismiss_reason: str | None
    trace: dict[str, object] = field(repr=False)
    outreach: str | None = None  # sent (in the chat) or visit (listed for a home visit)
    visit_on: date | None = None  # the day a caseworker means to visit

    def overdue(self, now: datetime) -> bool:
        return self.status in OPEN and self.deadline_at < now


@dataclass(frozen=True, slots=True)
class NewAlert:
    household_id: int
    office: str
    trigger: str
    reason: AlertReason
    trace_json: str  # serialized where the household was assessed
    deadline_at: datetime


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Filters of the alert list; ``overdue`` compares deadlines with ``now``.

    ``due_from``/``due_to`` keep the open alerts whose deadline falls in [from, to) (the time
    left); ``visits`` the open ones listed for a home visit or with a visit scheduled.
    """

    office: str | None = None
    status: AlertStatus | None = None
    overdue: bool | None = None
    limit: int = 50
    offset: int = 0
    trigger: str | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    visits: bool = False


class AlertRepository(Protocol):
    async def add_many(self, alerts: Sequence[NewAlert], *, at: datetime) -> int: ...

    async def recent(self, household_ids: Sequence[int], *, since: datetime) -> set[tuple[int, str]]:
        """(household, trigger) of the alerts raised since ``since``, whatever became of them."""

    async def list(self, query: AlertQuery, *, now: datetime) -> tuple[list[Alert], int]:
        """One page, the nearest deadlines of open alerts first, and the total count."""

    async def get(self, alert_id: int) -> Alert | None: ...

    async def lock(self, alert_id: int) -> None:
        """Hold the alert until the unit of work ends, so two actions cannot interleave."""

    async def move(self, alert_id: int, *, status: AlertStatus, values: Mapping[str, object]) -> None:
        """Set the alert's status and the other columns named in ``values``."""

    async def overdue(self, now: datetime) -> builtins.list[Alert]:
        """Open alerts past their deadline that were not escalated yet, oldest deadline first."""

    async def mark_escalated(self, alert_ids: Sequence[int], *, at: datetime) -> builtins.list[int]:
        """Mark the alerts escalated; the ids this call marked (another pass may have been first)."""


class FeedKeyStore(Protocol):
    """Departments' keys for pushing events (sealed), and the signatures already accepted."""

    async def get(self, source: str) -> str | None:
        """The sealed key of ``source``, or None when none was made."""

    async def put(self, source: str, cipher: str, *, at: datetime) -> None:
        """Store ``source``'s sealed key, replacing the one before."""

    async def remember(self, source: str, nonce: str, *, at: datetime) -> bool:
        """Record a signature as seen; False when it was seen before."""

    async def forget_before(self, cutoff: datetime) -> int:
        """Drop the signatures seen before ``cutoff``; how many."""


class TriggersUnitOfWork(Transaction, Protocol):
    """What evaluating the triggers uses of a unit of work."""

    alerts: AlertRepository
    triggers: TriggerStore


class AlertsUnitOfWork(Transaction, Protocol):
    """What acting on alerts uses of a unit of work."""

    alerts: AlertRepository
    audit: AuditLog
    outbox: OutboxRepository
    users: UserRepository


class FeedKeysUnitOfWork(Transaction, Protocol):
    """What checking a pushed feed's signature uses of a unit of work."""

    feed_keys: FeedKeyStore
