"""What the console reads and keeps: credentials and sessions, and the read-only views of its pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from backend.store.users import User


@dataclass(frozen=True, slots=True)
class Credentials:
    user: User
    password_hash: str | None


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    user: User
    csrf: str
    expires_at: datetime


class ConsoleRepository(Protocol):
    async def credentials(self, username: str) -> Credentials | None: ...

    async def set_password(self, username: str, password_hash: str) -> bool:
        """Set the hash and end the user's sessions; False for an unknown user."""

    async def add_session(self, token_hash: str, *, user_id: int, csrf: str, at: datetime,
                          expires_at: datetime) -> None: ...

    async def session(self, token_hash: str, *, now: datetime) -> ConsoleSession | None:
        """The live session of an active user with this token."""

    async def end_session(self, token_hash: str) -> None: ...

    async def purge(self, *, now: datetime) -> int:
        """Delete expired sessions; how many."""


# ---------------------------------------------------------------- read-only views


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose data a page shows: one office (office staff, or an administrator choosing one), or all."""

    office: str | None


@dataclass(frozen=True, slots=True)
class QueueFilters:
    layer: str | None = None
    level: int | None = None
    status: str | None = None
    emergency: bool | None = None
    overdue: bool | None = None
    assigned_to: int | None = None  # a user id

    def without(self, name: str) -> QueueFilters:
        return QueueFilters(**{**{f: getattr(self, f) for f in FACETS + ("assigned_to",)}, name: None})


FACETS = ("layer", "level", "status", "emergency", "overdue")


@dataclass(frozen=True, slots=True)
class QueueCell:
    """How many cases of the scope share these values (one group of the facet count)."""

    layer: str | None
    level: int | None
    status: str
    emergency: bool
    overdue: bool
    count: int


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    filename: str
    mime: str
    size: int
    storage_key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OfferView:
    kind: str
    ref: str
    status: str
    created_at: datetime
    answered_at: datetime | None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VolunteerView:
    id: int
    name: str
    offices: tuple[str, ...]
    skills: dict[str, bool]
    paused: bool
    hours: Decimal
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TaskView:
    id: int
    office: str
    skill: str
    status: str
    starts_at: datetime | None
    application_number: str | None
    volunteer: str | None
    rating: int | None


@dataclass(frozen=True, slots=True)
class AccountView:
    holder: str
    ref: str
    name: str
    balance: int


@dataclass(frozen=True, slots=True)
class EntryView:
    txn: str
    holder: str
    name: str
    amount: int
    cause: str
    ref: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided case: when it was submitted and decided, and its deadline (an emergency's)."""

    emergency: bool
    submitted_at: datetime
    decided_at: datetime
    deadline_at: datetime | None


@dataclass(frozen=True, slots=True)
class Breakdown:
    by_layer: dict[str, int] = field(default_factory=dict)
    by_level: dict[int, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    by_office: dict[str, int] = field(default_factory=dict)


class Reports(Protocol):
    """Read-only queries of the console's pages (nothing here writes)."""

    async def queue_cells(self, scope: Scope, filters: QueueFilters, *, now: datetime) -> list[QueueCell]:
        """The scope's cases grouped by every facet, with ``assigned_to`` applied (facets are counted apart)."""

    async def documents(self, number: str) -> list[DocumentView]: ...

    async def document(self, number: str, document_id: str) -> DocumentView | None: ...

    async def offers(self, number: str) -> list[OfferView]: ...

    async def volunteers(self, scope: Scope, *, limit: int) -> list[VolunteerView]: ...

    async def tasks(self, scope: Scope, *, limit: int) -> list[TaskView]: ...

    async def accounts(self, *, limit: int) -> list[AccountView]: ...

    async def entries(self, *, limit: int) -> list[EntryView]: ...

    async def breakdown(self, scope: Scope) -> Breakdown: ...

    async def furthest_steps(self, flow: str, steps: tuple[str, ...], *, since: datetime | None) -> dict[int, int]:
        """How many residents got no further than each step (its index in ``steps``; -1: started only)."""

    async def reached_steps(self, flow: str, steps: tuple[str, ...], *, since: datetime | None) -> dict[str, int]:
        """How many residents were asked each step (a step nobody was asked is absent)."""

    async def applicant_names(self, numbers: list[str]) -> dict[str, str]:
        """The applicant's name of each of these applications (the queue's page), by number."""

    async def decisions(self, scope: Scope, *, since: datetime) -> list[Decision]: ...

    async def time_left(self, scope: Scope, *, bounds: Sequence[datetime]) -> list[int]:
        """The scope's open cases by deadline: before ``bounds[0]``, before each next bound, at or after
        the last, and without a deadline (``len(bounds) + 2`` counts; ``bounds`` ascending)."""


class Desk(Protocol):
    """The escalation desk as the console uses it (the bot's, injected by the composition root):
    what a caseworker does here reaches the resident in their channel, as from chat."""

    async def claim(self, user: User, ticket_id: int) -> bool:
        """Take the request (first claim wins); whether this user holds it now."""

    async def reply(self, user: User, ticket_id: int, text: str) -> bool:
        """Send words to the resident of a request the user holds; False when they do not hold it."""

    async def close(self, user: User, ticket_id: int, note: str) -> bool:
        """End a request the user holds; the resident goes back to where they were."""
