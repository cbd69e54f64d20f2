"""The storage ports the conversation runner and the intake service depend on.

One unit of work per resident turn: the session snapshot, the turn log and any
application written by that turn commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from backend.application import ApplicationV1
from backend.cases.ports import (
    AuditLog,
    CaseRepository,
    IdempotencyStore,
    NotificationRepository,
    OfferRepository,
    Role,
    User,
    UserRepository,
)
from backend.console.ports import ConsoleRepository, Reports
from backend.monitoring.outreach_ports import OutreachRepository
from backend.monitoring.records import AlertRepository, FeedKeyStore, TriggerStore
from backend.monitoring.registry_ports import RegistryRepository
from backend.points.fund_ports import FundRepository
from backend.points.ports import CertificateRepository, PointsRepository
from backend.status import ApplicationStatus
from backend.throttle import ThrottleRepository
from backend.volunteers.ports import TaskRepository, VolunteerRepository


class NotFound(LookupError):
    """No such application, user or other record; the message names it."""


@dataclass(frozen=True, slots=True)
class Resident:
    id: str
    locale: str | None
    created_at: datetime
    unreachable: bool = False
    talking_to: int | None = None  # the request for a person a caseworker has claimed
    offers_off: bool = False  # they said /offers off
    active_flow: str | None = None  # the flow their messages go to when it is not the intake


@dataclass(frozen=True, slots=True)
class ApplicationSummary:
    number: str
    status: ApplicationStatus
    submitted_at: datetime
    office: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: ApplicationStatus
    at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    id: str
    resident_id: str
    filename: str
    mime: str
    size: int
    sha256: str
    storage_key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IdentityMove:
    """What moving a channel identity to another resident did.

    Attributes:
        outcome: ``moved``; ``already`` (it led to that resident before); or ``refused`` (the
            resident it led to has records of their own with the office, which only a caseworker
            may merge).
        discarded: the documents of an unfinished conversation left behind with the old resident,
            whose bytes the caller removes once the unit of work is committed.
    """

    outcome: str
    discarded: tuple[DocumentMeta, ...] = ()


@dataclass(frozen=True, slots=True)
class DueSession:
    resident_id: str
    flow: str


class ResidentRepository(Protocol):
    async def identify(self, channel: str, external_id: str, *, now: datetime) -> Resident:
        """Return the resident behind a channel identity, creating both on first contact."""

    async def get(self, resident_id: str) -> Resident | None: ...

    async def set_locale(self, resident_id: str, locale: str) -> None: ...

    async def accept_inbound(self, channel: str, external_id: str, inbound_id: int) -> bool:
        """Record ``inbound_id`` as handled; False when it (or a newer one) already was."""

    async def active_prompt(self, channel: str, external_id: str) -> int | None:
        """The outbox message whose buttons are live for this identity."""

    async def set_active_prompt(self, channel: str, external_id: str, outbox_id: int | None) -> None: ...

    async def set_unreachable(self, resident_id: str, unreachable: bool) -> None: ...

    async def set_offers(self, resident_id: str, enabled: bool) -> None: ...

    async def set_active_flow(self, resident_id: str, flow: str | None) -> None: ...

    async def set_talking_to(self, resident_id: str, escalation_id: int | None) -> None:
        """While set, the resident's messages go to the caseworker who claimed the request."""

    async def identities(self, resident_id: str) -> list[tuple[str, str]]:
        """The resident's (channel, external id) pairs, newest first."""

    async def find(self, channel: str, external_id: str) -> Resident | None:
        """The resident behind a channel identity, without creating one."""

    async def last_inbound(self, channel: str, external_id: str) -> int | None:
        """The newest inbound id the identity accepted, if any."""

    async def move_identity(self, channel: str, external_id: str, *, to_resident: str) -> IdentityMove:
        """Make the identity lead to ``to_resident``, who keeps everything of theirs. Refused when
        the identity's resident has records of their own (applications, a volunteer registration,
        requests for a person, a place in the monitored registry); otherwise that resident's
        unfinished conversation is discarded with them once no identity leads to them."""


class SessionRepository(Protocol):
    async def load(self, resident_id: str, flow: str) -> dict[str, Any] | None: ...

    async def save(
        self,
        resident_id: str,
        flow: str,
        snapshot: dict[str, Any],
        *,
        state: str,
        updated_at: datetime,
        remind_at: datetime | None,
        expire_at: datetime | None,
    ) -> None:
        """Insert or replace the resident's session of ``flow``."""

    async def delete(self, resident_id: str, flow: str) -> None: ...

    async def record_turn(
        self,
        resident_id: str,
        flow: str,
        *,
        turn: int,
        state_before: str,
        state_after: str,
        event_kind: str,
        at: datetime,
    ) -> None:
        """Log a turn's step change (no content: the log feeds the intake funnel)."""

    async def due(self, now: datetime) -> list[DueSession]:
        """Sessions whose reminder or expiry time has come."""


class ApplicationRepository(Protocol):
    async def lock_households(self, id_hashes: list[str]) -> None:
        """Hold these households until the unit of work ends, so two submissions cannot both pass."""

    async def find_open(self, id_hashes: list[str]) -> ApplicationSummary | None:
        """An open application any of whose household members has one of these ID hashes."""

    async def add(
        self,
        application: ApplicationV1,
        *,
        resident_id: str,
        id_hashes: list[str],
        status: ApplicationStatus,
        at: datetime,
    ) -> ApplicationSummary:
        """Store the application with its first status and return it with its number."""

    async def list_for_resident(self, resident_id: str) -> list[ApplicationSummary]: ...

    async def record_assessment(
        self,
        number: str,
        *,
        layer: str,
        resilience_level: int,
        emergency: bool,
        assessment: dict[str, Any],
        queues: list[str],
        station: str | None,
        deadline_at: datetime | None,
        at: datetime,
    ) -> None:
        """Store what the policy engine and routing found, and move the case to ``assessed``."""

    async def get(self, number: str) -> ApplicationV1 | None: ...

    async def history(self, number: str) -> list[StatusChange]: ...


class DocumentRepository(Protocol):
    async def add(self, document: DocumentMeta) -> None: ...

    async def get(self, document_id: str) -> DocumentMeta | None: ...

    async def attach(self, document_ids: list[str], application_number: str) -> None: ...

    async def unattached(self, resident_id: str) -> list[DocumentMeta]: ...

    async def delete(self, document_ids: list[str]) -> list[DocumentMeta]:
        """Delete the rows and return them so their bytes can be removed from storage."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    resident_id: str | None  # None for a message to a member of staff
    channel: str
    address: str
    kind: str  # "message", "edit" or "document"
    payload: dict[str, Any]
    status: str  # pending, sent, held (resident unreachable), failed
    attempts: int
    not_before: datetime | None
    created_at: datetime
    provider_message_id: str | None


class OutboxRepository(Protocol):
    async def add(
        self,
        *,
        resident_id: str,
        channel: str,
        address: str,
        kind: str,
        payload: dict[str, Any],
        at: datetime,
        priority: int = 0,
    ) -> int:
        """Queue an item; ``priority`` 0 (a reply), 1 (a status update) or 2 (a broadcast), lower first."""

    async def due(
        self,
        channel: str,
        *,
        now: datetime,
        limit: int = 100,
        owner: str | None = None,
        lease: timedelta = timedelta(seconds=60),
    ) -> list[OutboxItem]:
        """Pending items whose time has come, oldest first; with an ``owner``, leased to it, and
        without the addresses another owner holds."""

    async def get(self, item_id: int) -> OutboxItem | None: ...

    async def live_prompt(self, channel: str, address: str) -> OutboxItem | None:
        """The message whose buttons are live for this identity (its active prompt), or None."""

    async def get_many(self, item_ids: list[int]) -> dict[int, OutboxItem]:
        """The items that exist among ``item_ids``, by id."""

    async def mark_sent(self, sent: Mapping[int, str | None], *, at: datetime) -> None:
        """Mark items Telegram (or another provider) accepted: item id -> the provider's message id."""

    async def postpone(self, item_id: int, *, not_before: datetime, attempts: int) -> None: ...

    async def mark_failed(self, item_id: int, *, at: datetime) -> None: ...

    async def hold(self, channel: str, address: str) -> None:
        """Keep the address's pending items back (the resident cannot be reached)."""

    async def release(self, channel: str, address: str) -> None:
        """Send the held items after all (the resident wrote again)."""

    async def recent(self, channel: str, address: str, *, limit: int) -> list[OutboxItem]:
        """The address's newest ``limit`` items of every kind and status, oldest first."""

    async def forget_before(self, channel: str, address: str, before_id: int, *, keep: int | None = None) -> None:
        """Delete the address's items older than ``before_id``, except ``keep``."""


class LinkCodeRepository(Protocol):
    """One-time codes that lead to a resident for a few minutes, kept only as keyed hashes."""

    async def add_code(self, code_hash: str, resident_id: str, *, at: datetime) -> bool:
        """Store a code; False when a live code has the same hash (draw another)."""

    async def take_code(self, code_hash: str) -> tuple[str, datetime] | None:
        """Remove a code and return its resident and when it was issued; None when there is none
        (never issued, or already taken: each code is taken once)."""

    async def forget_codes(self, *, resident_id: str | None = None, issued_before: datetime | None = None) -> None:
        """Remove a resident's codes, or those issued before a time (expired); with neither, every code."""



class WebIdentityRepository(Protocol):
    """Browsers' identities, which a cookie carries."""

    async def retire(self, channel: str, external_id: str) -> bool:
        """Move the identity and its transcript to an id no cookie carries, so that the old id
        leads to nobody; False when there was no such identity."""

    async def retired(self, channel: str, external_id: str) -> bool:
        """Whether the identity was retired (its id must not be taken up again)."""


@dataclass(frozen=True, slots=True)
class Escalation:
    id: int
    resident_id: str
    reason: str
    step: str
    status: str  # open, claimed, closed
    created_at: datetime
    office: str | None = None
    urgent: bool = False
    claimed_by: str | None = None


@dataclass(frozen=True, slots=True)
class EscalationMessage:
    sender: str  # resident, staff
    author: str
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class EscalationScope:
    """Which requests for a person a member of staff may see and claim.

    A request made before the resident chose a street office has no office: it waits in the
    city-level queue, which supervisors (of any office) and administrators answer, never another
    office's caseworkers. The repository turns this into the one condition every listing and
    claim applies.
    """

    offices: frozenset[str] | None  # None: every office
    city: bool  # the requests with no office yet
    username: str = ""  # the requests this user holds stay theirs to read, wherever they moved

    @classmethod
    def of(cls, user: User) -> "EscalationScope":
        """The scope of a user's role: a caseworker their office, a supervisor their office and the
        city-level queue, an administrator everything; any other role nothing."""
        if user.role is Role.ADMIN:
            return cls(None, True, user.username)
        if user.role is Role.SUPERVISOR and user.office:
            return cls(frozenset({user.office}), True, user.username)
        if user.role is Role.CASEWORKER and user.office:
            return cls(frozenset({user.office}), False, user.username)
        return cls(frozenset(), False, user.username)

    def only(self, office: str) -> "EscalationScope":
        """Narrowed to one office's queue (an administrator choosing an office in the console)."""
        offices = frozenset({office}) if self.offices is None or office in self.offices else frozenset()
        return EscalationScope(offices, False, self.username)


class EscalationRepository(Protocol):
    async def add(
        self, resident_id: str, *, reason: str, step: str, at: datetime, office: str | None = None, urgent: bool = False
    ) -> Escalation:
        """Record a request for a person; one not yet closed for the same resident is returned instead."""

    async def open_for(self, resident_id: str) -> list[Escalation]:
        """The resident's requests not yet closed."""

    async def get(self, escalation_id: int) -> Escalation | None:
        """A request whoever asks (the resident's side and the desk's own bookkeeping); staff
        reads go through ``visible``."""

    async def visible(self, escalation_id: int, scope: EscalationScope) -> Escalation | None:
        """A request within the scope (or held by the scope's user); None otherwise."""

    async def claim(self, escalation_id: int, username: str, *, scope: EscalationScope, at: datetime) -> bool:
        """Claim an open request within the scope; False when someone else was first, it is
        closed, or it is outside the scope."""

    async def claimed_by(self, username: str) -> Escalation | None:
        """The request this caseworker claimed most recently and has not closed."""

    async def close(self, escalation_id: int, *, note: str, at: datetime) -> None: ...

    async def add_message(self, escalation_id: int, *, sender: str, author: str, body: str, at: datetime) -> None: ...

    async def messages(self, escalation_id: int) -> list[EscalationMessage]: ...

    async def add_ping(self, escalation_id: int, *, username: str, outbox_id: int) -> None: ...

    async def pings(self, escalation_id: int) -> list[tuple[str, int]]:
        """(username, outbox id) of each caseworker's copy of the request."""

    async def waiting(self, scope: EscalationScope) -> list[Escalation]:
        """Open requests nobody claimed yet within the scope; urgent first."""

    async def listed(self, scope: EscalationScope, *, limit: int) -> list[Escalation]:
        """The requests the scope's user holds, then the open ones within the scope, urgent first."""

    async def without_office(self) -> list[Escalation]:
        """Open requests in the city-level queue (made before the resident chose an office)."""

    async def route(self, escalation_id: int, office: str) -> bool:
        """Move an open request of the city-level queue to an office's; False when it is no
        longer open or has an office already."""

    async def unclaimed(self, *, created_before: datetime, urgent_created_before: datetime) -> list[Escalation]:
        """Open requests nobody claimed in time whose supervisors have not been pinged."""

    async def mark_supervisor_pinged(self, escalation_id: int, *, at: datetime) -> None: ...


class UnitOfWork(Protocol):
    residents: ResidentRepository
    users: UserRepository
    cases: CaseRepository
    audit: AuditLog
    idempotency: IdempotencyStore
    notifications: NotificationRepository
    points: PointsRepository
    certificates: CertificateRepository
    funds: FundRepository
    offers: OfferRepository
    volunteers: VolunteerRepository
    tasks: TaskRepository
    outreach: OutreachRepository
    escalations: EscalationRepository
    outbox: OutboxRepository
    sessions: SessionRepository
    applications: ApplicationRepository
    documents: DocumentRepository
    links: LinkCodeRepository
    console: ConsoleRepository
    throttles: ThrottleRepository
    web_identities: WebIdentityRepository
    reports: Reports
    alerts: AlertRepository
    triggers: TriggerStore
    feed_keys: FeedKeyStore
    registry: RegistryRepository

    async def commit(self) -> None: ...

    async def __aenter__(self) -> "UnitOfWork": ...

    async def __aexit__(self, *exc: object) -> None:
        """Roll back whatever was not committed."""


class Store(Protocol):
    """What a service needs of a database: a unit of work, opened per use.

    Args of ``unit_of_work``:
        references_kept: its writes only name rows that exist by construction, so the store may
            skip checking each foreign key (bulk feed matching).
        bulk: its statements are long, so the store may run them off the event loop.
    """

    def unit_of_work(self, *, references_kept: bool = False, bulk: bool = False) -> UnitOfWork: ...
