"""The storage ports of the office side: staff, cases, notes, the audit log, idempotency, notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from backend.cases.lifecycle import CaseStatus


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    BOT_SERVICE = "bot-service"
    MERCHANT = "merchant"  # a charity merchant: confirms credit-point redemptions


# Roles that belong to one street office (the others work across the region).
OFFICE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    office: str | None
    telegram_id: str | None
    on_duty: bool
    active: bool
    created_at: datetime


class DuplicateUser(ValueError):
    """A user with this username or Telegram id exists already."""


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
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: str
    status: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    resident_id: str
    application_number: str | None
    kind: str
    params: dict[str, Any]
    status: str
    created_at: datetime
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class DueNotification:
    """A notification to dispatch, with what delivery needs: the resident's language and the
    channel identity to push to (None when they have none that can be pushed to)."""

    notification: Notification
    locale: str | None
    channel: str | None
    address: str | None


class Unset:
    """Marks an argument left out (None is a value: it clears the column)."""


UNSET: Any = Unset()


class UserRepository(Protocol):
    async def add(
        self,
        *,
        username: str,
        display_name: str,
        role: Role,
        office: str | None,
        token_hash: str,
        telegram_id: str | None,
        on_duty: bool,
        at: datetime,
    ) -> User:
        """Raises DuplicateUser when the username or Telegram id is taken."""

    async def get(self, username: str) -> User | None: ...

    async def by_token_hash(self, token_hash: str) -> User | None:
        """The active user holding this token."""

    async def list(self, office: str | None = None) -> list[User]: ...

    async def update(self, username: str, *, on_duty: bool | Unset = UNSET, active: bool | Unset = UNSET,
                     token_hash: str | Unset = UNSET) -> User:
        """Raises NotFound for an unknown username."""

    async def least_loaded(self, office: str, *, on_duty: bool = False) -> User | None:
        """The active caseworker of ``office`` with the fewest open cases (oldest account on a tie)."""


class CaseRepository(Protocol):
    async def get(self, number: str) -> Case | None: ...

    async def lock(self, number: str) -> None:
        """Hold the case until the unit of work ends, so two decisions cannot interleave."""

    async def list(self, query: CaseQuery, *, now: datetime) -> tuple[list[Case], int]:
        """One page of cases, emergencies and the nearest deadlines first, and the total count."""

    async def residents(self, query: CaseQuery, *, now: datetime) -> list[str]:
        """The residents behind the cases a query selects (paging ignored), each once."""

    async def transition(
        self,
        number: str,
        *,
        status: CaseStatus,
        action: str,
        actor: str,
        note: str,
        at: datetime,
        assigned_to: str | None | Unset = UNSET,
        proposed_by: str | None | Unset = UNSET,
        decision: dict[str, Any] | None | Unset = UNSET,
    ) -> None:
        """Move the case and append its immutable status event (raises NotFound when unknown)."""

    async def history(self, number: str) -> list[StatusEvent]: ...

    async def waiting_long(self, *, submitted_before: datetime, not_told_since: datetime) -> list[Case]:
        """Undecided cases submitted before ``submitted_before`` whose resident has had no
        ``still_in_review`` notification since ``not_told_since``."""

    async def add_note(self, number: str, *, author: str, body: str, at: datetime) -> Note: ...

    async def notes(self, number: str) -> list[Note]: ...


class AuditLog(Protocol):
    async def record(self, *, actor: str, action: str, target: str, details: dict[str, Any], at: datetime) -> None: ...

    async def for_target(self, target: str) -> list[AuditEntry]: ...


class IdempotencyStore(Protocol):
    async def lock(self, owner: str, key: str) -> None:
        """Hold the key until the unit of work ends, so concurrent retries wait for the first."""

    async def get(self, owner: str, key: str) -> StoredResponse | None: ...

    async def put(self, owner: str, key: str, response: StoredResponse, *, at: datetime) -> None: ...


class NotificationRepository(Protocol):
    async def add(
        self,
        *,
        resident_id: str,
        application_number: str | None,
        kind: str,
        params: dict[str, Any],
        at: datetime,
        urgent: bool = False,
    ) -> None: ...

    async def for_resident(self, resident_id: str) -> list[Notification]:
        """The resident's notifications, oldest first."""

    async def claim(self, *, channels: tuple[str, ...], urgent_only: bool, limit: int) -> list[DueNotification]:
        """Pending notifications, oldest first, held until the unit of work ends; on PostgreSQL rows
        another dispatcher holds are skipped, so two dispatchers never take the same one.

        ``channels`` are those that can push, most preferred first."""

    async def mark(self, notification_id: int, *, status: str, at: datetime, outbox_id: int | None = None) -> None: ...

    async def waiting(self, resident_id: str) -> list[Notification]:
        """Notifications kept for the resident's return (no channel could push them), oldest first."""

    async def requeue_waiting(self, resident_id: str) -> None:
        """Make the resident's waiting notifications pending again (they gained a channel that can push)."""


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


class OfferRepository(Protocol):
    async def add(self, *, resident_id: str, application_number: str | None, kind: str, ref: str,
                  at: datetime) -> int | None:
        """Record an offer; None when this resident was offered it before (it is never repeated)."""

    async def get(self, offer_id: int) -> Offer | None: ...

    async def lock(self, kind: str, ref: str) -> None:
        """Hold the project until the unit of work ends (its capacity is counted, then taken)."""

    async def answer(self, offer_id: int, *, status: str, at: datetime) -> bool:
        """Answer an open offer; False when it was answered already."""

    async def taken(self, kind: str, ref: str) -> list[Offer]:
        """The accepted offers (referrals) of a project, oldest first."""
