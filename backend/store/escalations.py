"""Requests for a person: a resident asks, a caseworker claims and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from backend.store.users import Role, User


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
    def of(cls, user: User) -> EscalationScope:
        """The scope of a user's role: a caseworker their office, a supervisor their office and the
        city-level queue, an administrator everything; any other role nothing."""
        if user.role is Role.ADMIN:
            return cls(None, True, user.username)
        if user.role is Role.SUPERVISOR and user.office:
            return cls(frozenset({user.office}), True, user.username)
        if user.role is Role.CASEWORKER and user.office:
            return cls(frozenset({user.office}), False, user.username)
        return cls(frozenset(), False, user.username)

    def only(self, office: str) -> EscalationScope:
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
