"""The storage ports of the office side: cases, notes, idempotency and offers.

Staff accounts, the audit log and notifications, which other services write too, are in
``backend.store``; they are imported here as well, where callers have always found them.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from backend.status import CaseStatus
from backend.store.applications import DocumentRepository
from backend.store.audit import AuditEntry, AuditLog
from backend.store.base import Transaction
from backend.store.notifications import DueNotification, Notification, NotificationRepository
from backend.store.outbox import OutboxRepository
from backend.store.residents import ResidentRepository
from backend.store.threads import ThreadRepository
from backend.store.users import OFFICE_ROLES, UNSET, DuplicateUser, Role, Unset, User, UserRepository
from backend.volunteers.ports import VolunteerRepository, VolunteersUnitOfWork

__all__ = [
    "OFFICE_ROLES", "UNSET", "AuditEntry", "AuditLog", "Case", "CaseQuery", "CaseRepository", "DueNotification",
    "DuplicateUser", "IdempotencyStore", "Note", "Notification", "NotificationRepository", "Offer",
    "OfferRepository", "OffersUnitOfWork", "CasesUnitOfWork", "Role", "StatusEvent", "StoredResponse", "Unset", "User",
    "UserRepository",
]


@dataclass(frozen=True, slots=True)
class Case:
    """An application as the office sees it: the submission, its assessment and where it stands."""

    number: str
    resident_id: str
    status: CaseStatus
    office: str
    district: str
    layer: str | None
    resilience_level: int | None
    emergency: bool
    queues: tuple[str, ...]
    station: str | None
    deadline_at: datetime | None
    assigned_to: str | None  # username
    proposed_by: str | None  # username
    decision: dict[str, Any] | None
    submitted_at: datetime
    updated_at: datetime
    payload: dict[str, Any] = field(repr=False)
    assessment: dict[str, Any] | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Filters of the case list; ``overdue`` compares deadlines with ``now``."""

    office: str | None = None
    layer: str | None = None
    resilience_level: int | None = None
    status: CaseStatus | None = None
    emergency: bool | None = None
    overdue: bool | None = None
    assigned_to: str | None = None
    limit: int = 50
    offset: int = 0
    # False: the cases come without their payload and assessment (empty), for lists that show
    # neither; reading and decoding those documents is most of the cost of a page of cases.
    documents: bool = True


@dataclass(frozen=True, slots=True)
class Transition:
    """A case's move: its new status and the status event that records it, and what the move
    changes on the case besides (a field left UNSET stays as it is)."""

    status: CaseStatus
    action: str
    actor: str
    note: str
    at: datetime
    assigned_to: str | None | Unset = UNSET
    proposed_by: str | None | Unset = UNSET
    decision: dict[str, object] | None | Unset = UNSET


@dataclass(frozen=True, slots=True)
class StatusEvent:
    status: CaseStatus
    action: str | None
    actor: str
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    author: str
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: str
    status: int
    body: dict[str, object]


class CaseRepository(Protocol):
    async def get(self, number: str) -> Case | None: ...

    async def lock(self, number: str) -> None:
        """Hold the case until the unit of work ends, so two decisions cannot interleave."""

    async def list(self, query: CaseQuery, *, now: datetime) -> tuple[list[Case], int]:
        """One page of cases, those past their deadline first, then emergencies, then the nearest
        deadlines; and the total count."""

    async def residents(self, query: CaseQuery, *, now: datetime) -> builtins.list[str]:
        """The residents behind the cases a query selects (paging ignored), each once."""

    async def transition(self, number: str, move: Transition) -> None:
        """Move the case and append its immutable status event (raises NotFound when unknown)."""

    async def history(self, number: str) -> builtins.list[StatusEvent]: ...

    async def waiting_long(self, *, submitted_before: datetime, not_told_since: datetime) -> builtins.list[Case]:
        """Undecided cases submitted before ``submitted_before`` whose resident has had no
        ``still_in_review`` notification since ``not_told_since``."""

    async def add_note(self, number: str, *, author: str, body: str, at: datetime) -> Note: ...

    async def notes(self, number: str) -> builtins.list[Note]: ...


class IdempotencyStore(Protocol):
    async def lock(self, owner: str, key: str) -> None:
        """Hold the key until the unit of work ends, so concurrent retries wait for the first."""

    async def get(self, owner: str, key: str) -> StoredResponse | None: ...

    async def put(self, owner: str, key: str, response: StoredResponse, *, at: datetime) -> None: ...

    async def put_new(self, owner: str, key: str, response: StoredResponse, *, at: datetime) -> bool:
        """Store the key unless it is stored already: whether it was new. A concurrent unit of work
        storing the same key makes this one wait for its outcome (the key is unique)."""


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    resident_id: str
    application_number: str | None
    kind: str
    ref: str
    status: str
    created_at: datetime
    answered_at: datetime | None
    expires_at: datetime | None = None


class OfferRepository(Protocol):
    async def add(self, *, resident_id: str, application_number: str | None, kind: str, ref: str,
                  at: datetime, expires_at: datetime | None = None) -> int | None:
        """Record an offer; None when this resident was offered it before (it is never repeated)."""

    async def add_many(self, *, resident_id: str, application_number: str | None, wanted: list[tuple[str, str]],
                       at: datetime, expires_at: datetime | None = None) -> list[int | None]:
        """Record offers of (kind, ref) at once; for each, its id, or None when offered before."""

    async def open_for(self, resident_id: str, *, now: datetime) -> list[Offer]:
        """The resident's offers still to answer (not answered, not expired by ``now``), oldest first."""

    async def with_open_offers(self, resident_ids: set[str], *, now: datetime) -> set[str]:
        """Those of the residents who have an offer still to answer (a dispatcher's pass asks once)."""

    async def get(self, offer_id: int) -> Offer | None: ...

    async def lock(self, kind: str, ref: str) -> None:
        """Hold the project until the unit of work ends (its capacity is counted, then taken)."""

    async def answer(self, offer_id: int, *, status: str, at: datetime) -> bool:
        """Answer an open offer; False when it was answered already."""

    async def taken(self, kind: str, ref: str) -> list[Offer]:
        """The accepted offers (referrals) of a project, oldest first."""


class CasesUnitOfWork(Transaction, Protocol):
    """What deciding cases uses of a unit of work."""

    audit: AuditLog
    cases: CaseRepository
    documents: DocumentRepository
    threads: ThreadRepository
    notifications: NotificationRepository
    outbox: OutboxRepository  # staff chat messages (a returned proposal, to its proposer)
    users: UserRepository


class OffersUnitOfWork(VolunteersUnitOfWork, Protocol):
    """What making and answering offers uses of a unit of work (an accepted service becomes a task)."""

    cases: CaseRepository  # the whole repository, where tasks read a narrow port
    notifications: NotificationRepository
    offers: OfferRepository
    residents: ResidentRepository
    volunteers: VolunteerRepository
