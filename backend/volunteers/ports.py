"""Volunteers, service tasks and the pings that offer tasks to volunteers: values and storage ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from backend.points.ports import CertificatesUnitOfWork, LedgerUnitOfWork
from backend.policy.services import SKILLS as SKILLS  # the catalogue of services names them
from backend.store.audit import AuditLog
from backend.store.outbox import OutboxRepository
from backend.store.users import UserRepository

# Weekly availability: part of the day, weekday or weekend, in the region's time zone.
SLOTS = (
    "weekday_morning", "weekday_afternoon", "weekday_evening",
    "weekend_morning", "weekend_afternoon", "weekend_evening",
)


class TaskStatus(StrEnum):
    REQUESTED = "requested"  # a resident accepted an offered service; a caseworker schedules it
    OPEN = "open"  # looking for a volunteer
    ASSIGNED = "assigned"
    DONE = "done"  # the volunteer checked in
    CONFIRMED = "confirmed"  # the resident confirmed and rated it
    MISSED = "missed"  # the volunteer says it did not happen
    UNFILLED = "unfilled"  # every candidate was asked; nobody accepted
    CANCELLED = "cancelled"


class PingAnswer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # no answer in time; the next few were asked
    TAKEN = "taken"  # someone else accepted first


@dataclass(frozen=True, slots=True)
class Volunteer:
    id: int
    resident_id: str
    name: str
    mobile: str
    offices: tuple[str, ...]
    availability: tuple[str, ...]
    paused: bool
    created_at: datetime
    # skill → whether a caseworker has qualified it
    skills: dict[str, bool] = field(default_factory=dict)

    def qualified(self, skill: str) -> bool:
        return self.skills.get(skill, False)


@dataclass(frozen=True, slots=True)
class Record:
    """A volunteer's track record, what matching ranks on besides the task's fit."""

    load: int = 0  # tasks assigned and not yet done
    pings: int = 0
    answered: int = 0  # pings answered (accepted or declined) rather than left to expire
    assigned: int = 0
    completed: int = 0

    @property
    def reliability(self) -> float:
        """Between 0 and 1: answers pings, and does the tasks taken. A newcomer starts at 0.5.

        Laplace-smoothed so that one missed ping does not sink someone with no history.
        """
        answering = (self.answered + 1) / (self.pings + 2)
        completing = (self.completed + 1) / (self.assigned + 2)
        return (answering + completing) / 2


@dataclass(frozen=True, slots=True)
class Candidate:
    """A volunteer who could take a task, with the record that ranks them."""

    volunteer: Volunteer
    record: Record


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """What a caseworker asks for."""

    skill: str
    office: str
    given_name: str
    address: str
    details: str
    starts_at: datetime | None
    ends_at: datetime | None
    duration_minutes: int
    application_number: str | None = None
    resident_id: str | None = None


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    spec: TaskSpec
    status: TaskStatus
    volunteer_id: int | None
    round: int
    next_round_at: datetime | None
    created_by: str
    created_at: datetime
    assigned_at: datetime | None = None
    reminded_at: datetime | None = None
    checkin_sent_at: datetime | None = None
    checked_in_at: datetime | None = None
    done_at: datetime | None = None
    served_minutes: int | None = None
    photo_document_id: str | None = None
    rating: int | None = None
    points_txn: str | None = None

    @property
    def hours(self) -> Decimal:
        """The hours planned."""
        return hours_of(self.spec.duration_minutes)

    @property
    def served_hours(self) -> Decimal | None:
        """The hours credited once done (from check-in to check-out), None before."""
        return hours_of(self.served_minutes) if self.served_minutes is not None else None


def hours_of(minutes: int) -> Decimal:
    """Minutes as hours to the hundredth, the way hours are shown and points counted from them."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class Ping:
    task_id: int
    volunteer_id: int
    round: int
    sent_at: datetime  # when it goes out: at once, or when the volunteer's stated hours begin
    answer: PingAnswer | None


class VolunteerRepository(Protocol):
    async def add(self, *, resident_id: str, name: str, mobile: str, offices: list[str], availability: list[str],
                  skills: list[str], at: datetime) -> Volunteer:
        """Register, or update the registration of, the resident (their qualified skills stay qualified)."""

    async def get(self, volunteer_id: int) -> Volunteer | None: ...

    async def by_resident(self, resident_id: str) -> Volunteer | None: ...

    async def qualify(self, volunteer_id: int, skill: str, *, by: str, at: datetime) -> bool:
        """Mark a claimed skill qualified; False when the volunteer never claimed it."""

    async def set_paused(self, volunteer_id: int, paused: bool) -> None: ...

    async def candidates(self, *, office: str, skill: str, task_id: int) -> list[Candidate]:
        """Active volunteers covering ``office`` with ``skill`` qualified, not yet pinged for the task."""

    async def hours_served(self, volunteer_id: int) -> Decimal:
        """Hours of the tasks they completed."""


class TaskRepository(Protocol):
    async def add(self, spec: TaskSpec, *, created_by: str, at: datetime,
                  status: TaskStatus = TaskStatus.OPEN) -> Task: ...

    async def get(self, task_id: int) -> Task | None: ...

    async def lock(self, task_id: int) -> None:
        """Hold the task until the unit of work ends: its answers are taken one at a time."""

    async def update(self, task_id: int, **values: object) -> None: ...

    async def take(self, task_id: int, volunteer_id: int, *, at: datetime) -> bool:
        """Assign an open task; False when it is no longer open (someone accepted first)."""

    async def add_ping(self, task_id: int, volunteer_id: int, *, round: int, at: datetime) -> None: ...

    async def ping(self, task_id: int, volunteer_id: int) -> Ping | None: ...

    async def answer_pings(self, task_id: int, answer: PingAnswer, *, at: datetime,
                           volunteer_id: int | None = None) -> list[int]:
        """Record ``answer`` on unanswered pings (one volunteer's, or all); the volunteers answered for."""

    async def unanswered(self, task_id: int) -> int: ...

    async def due_rounds(self, now: datetime) -> list[Task]:
        """Open tasks whose round of pings has run out of time."""

    async def due_reminders(self, now: datetime, *, ahead: timedelta) -> list[Task]: ...

    async def due_checkins(self, now: datetime) -> list[Task]: ...

    async def for_application(self, number: str) -> list[Task]: ...

    async def awaiting_photo(self, volunteer_id: int, *, since: datetime) -> Task | None:
        """The volunteer's newest task checked in as done since ``since`` and without a photo."""

    async def open_pings(self, volunteer_id: int, *, now: datetime) -> list[Task]:
        """Open tasks the volunteer was asked to take (pings gone out by ``now``) and has not answered."""

    async def of_volunteer(self, volunteer_id: int, statuses: tuple[TaskStatus, ...]) -> list[Task]:
        """The volunteer's tasks in ``statuses``, soonest first."""

    async def pings(self, task_id: int) -> list[Ping]:
        """Every ping of the task, in the order they were (or will be) sent."""


class CaseRef(Protocol):
    """What a task needs to know of the case it serves."""

    @property
    def number(self) -> str: ...

    @property
    def resident_id(self) -> str: ...

    @property
    def office(self) -> str: ...


class CaseLookup(Protocol):
    """The cases as tasks see them (the case service's repository, read through a narrow port)."""

    async def get(self, number: str) -> CaseRef | None: ...


class VolunteersUnitOfWork(LedgerUnitOfWork, CertificatesUnitOfWork, Protocol):
    """What volunteering uses of a unit of work (the ledger's and the certificates' too)."""

    audit: AuditLog
    tasks: TaskRepository
    volunteers: VolunteerRepository
    outbox: OutboxRepository  # the task creator's staff chat
    users: UserRepository

    @property
    def cases(self) -> CaseLookup: ...
