"""Residents, their channel identities, their conversations and the codes that link them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from backend.store.applications import DocumentMeta


@dataclass(frozen=True, slots=True)
class Resident:
    id: str
    locale: str | None
    created_at: datetime
    unreachable: bool = False
    talking_to: int | None = None  # the request for a person a caseworker has claimed
    offers_off: bool = False  # they said /offers off
    active_flow: str | None = None  # the flow their messages go to when it is not the intake
    # Read with the identity at the start of a turn (None: not read), so that a turn asks no more
    # when the answer is no: whether they registered as a volunteer, and whether status updates
    # wait to be shown to them (on a channel that cannot push).
    volunteer: bool | None = None
    notices_waiting: bool | None = None


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
    async def load(self, resident_id: str, flow: str) -> dict[str, object] | None: ...

    async def save(
        self,
        resident_id: str,
        flow: str,
        snapshot: dict[str, object],
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
