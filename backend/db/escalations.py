"""Residents' requests for a person, and the one condition that says which of them staff may see.

Every query that lists or claims requests for staff takes an ``EscalationScope`` and applies
``in_scope``: a request made before the resident chose a street office (no office yet) belongs to
the city-level queue, seen by supervisors and administrators only, never by another office's
caseworkers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import EscalationMessageRow, EscalationPingRow, EscalationRow
from backend.db.records import record_of
from backend.db.sql import rows_changed
from backend.ports import Escalation, EscalationMessage, EscalationScope


def in_scope(scope: EscalationScope) -> ColumnElement[bool]:
    """The requests of the scope's queues: its offices' (or every office's), and the city-level
    queue when the scope has it."""
    queues = []
    if scope.offices is None:
        queues.append(EscalationRow.office.is_not(None))
    elif scope.offices:
        queues.append(EscalationRow.office.in_(sorted(scope.offices)))
    if scope.city:
        queues.append(EscalationRow.office.is_(None))
    return or_(*queues) if queues else false()


def _held_by(scope: EscalationScope) -> ColumnElement[bool]:
    """The requests the scope's user holds (claimed, not closed)."""
    if not scope.username:
        return false()
    return and_(EscalationRow.status == "claimed", EscalationRow.claimed_by == scope.username)


class SqlEscalationRepository:
    """Residents' requests for a person, one not yet closed per resident at a time."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, resident_id: str, *, reason: str, step: str, at: datetime, office: str | None = None, urgent: bool = False
    ) -> Escalation:
        """Record a request; asking again while one is not closed does not queue a second."""
        open_ = await self.open_for(resident_id)
        if open_:
            return open_[0]
        row = EscalationRow(
            resident_id=resident_id, reason=reason, step=step, status="open", created_at=at, office=office,
            urgent=urgent,
        )
        self._session.add(row)
        await self._session.flush()
        return _escalation(row)

    async def open_for(self, resident_id: str) -> list[Escalation]:
        rows = await self._session.scalars(
            select(EscalationRow)
            .where(EscalationRow.resident_id == resident_id, EscalationRow.status.in_(("open", "claimed")))
            .order_by(EscalationRow.id)
        )
        return [_escalation(r) for r in rows]

    async def get(self, escalation_id: int) -> Escalation | None:
        row = await self._session.get(EscalationRow, escalation_id)
        return _escalation(row) if row else None

    async def visible(self, escalation_id: int, scope: EscalationScope) -> Escalation | None:
        row = await self._session.scalar(
            select(EscalationRow).where(EscalationRow.id == escalation_id, or_(in_scope(scope), _held_by(scope)))
        )
        return _escalation(row) if row else None

    async def claim(self, escalation_id: int, username: str, *, scope: EscalationScope, at: datetime) -> bool:
        # One conditional UPDATE: of two caseworkers pressing at once, exactly one wins, and a
        # request outside the scope (another office's, or the city's for a caseworker) is never taken.
        changed = await rows_changed(
            self._session,
            update(EscalationRow)
            .where(EscalationRow.id == escalation_id, EscalationRow.status == "open", in_scope(scope))
            .values(status="claimed", claimed_by=username, claimed_at=at)
        )
        return changed == 1

    async def claimed_by(self, username: str) -> Escalation | None:
        row = await self._session.scalar(
            select(EscalationRow)
            .where(EscalationRow.claimed_by == username, EscalationRow.status == "claimed")
            .order_by(EscalationRow.claimed_at.desc(), EscalationRow.id.desc())
            .limit(1)
        )
        return _escalation(row) if row else None

    async def close(self, escalation_id: int, *, note: str, at: datetime) -> None:
        await self._session.execute(
            update(EscalationRow)
            .where(EscalationRow.id == escalation_id)
            .values(status="closed", closed_at=at, close_note=note)
        )

    async def add_message(self, escalation_id: int, *, sender: str, author: str, body: str, at: datetime) -> None:
        self._session.add(
            EscalationMessageRow(escalation_id=escalation_id, sender=sender, author=author, body=body, at=at)
        )

    async def messages(self, escalation_id: int) -> list[EscalationMessage]:
        rows = await self._session.scalars(
            select(EscalationMessageRow)
            .where(EscalationMessageRow.escalation_id == escalation_id)
            .order_by(EscalationMessageRow.id)
        )
        return [record_of(EscalationMessage, r) for r in rows]

    async def add_ping(self, escalation_id: int, *, username: str, outbox_id: int) -> None:
        self._session.add(EscalationPingRow(escalation_id=escalation_id, username=username, outbox_id=outbox_id))

    async def pings(self, escalation_id: int) -> list[tuple[str, int]]:
        rows = await self._session.execute(
            select(EscalationPingRow.username, EscalationPingRow.outbox_id)
            .where(EscalationPingRow.escalation_id == escalation_id)
            .order_by(EscalationPingRow.id)
        )
        return [(username, outbox_id) for username, outbox_id in rows]

    async def waiting(self, scope: EscalationScope) -> list[Escalation]:
        rows = await self._session.scalars(
            select(EscalationRow)
            .where(EscalationRow.status == "open", in_scope(scope))
            .order_by(EscalationRow.urgent.desc(), EscalationRow.id)
        )
        return [_escalation(r) for r in rows]

    async def listed(self, scope: EscalationScope, *, limit: int) -> list[Escalation]:
        mine = _held_by(scope)
        waiting = and_(EscalationRow.status == "open", in_scope(scope))
        rows = await self._session.scalars(
            select(EscalationRow).where(or_(waiting, mine))
            .order_by(case((mine, 0), else_=1), EscalationRow.urgent.desc(), EscalationRow.id).limit(limit)
        )
        return [_escalation(r) for r in rows]

    async def without_office(self) -> list[Escalation]:
        rows = await self._session.scalars(
            select(EscalationRow)
            .where(EscalationRow.status == "open", EscalationRow.office.is_(None))
            .order_by(EscalationRow.id)
        )
        return [_escalation(r) for r in rows]

    async def route(self, escalation_id: int, office: str) -> bool:
        changed = await rows_changed(
            self._session,
            update(EscalationRow)
            .where(EscalationRow.id == escalation_id, EscalationRow.status == "open", EscalationRow.office.is_(None))
            .values(office=office)
        )
        return changed == 1

    async def unclaimed(self, *, created_before: datetime, urgent_created_before: datetime) -> list[Escalation]:
        late = or_(
            and_(EscalationRow.urgent.is_(False), EscalationRow.created_at < created_before),
            and_(EscalationRow.urgent.is_(True), EscalationRow.created_at < urgent_created_before),
        )
        rows = await self._session.scalars(
            select(EscalationRow)
            .where(EscalationRow.status == "open", EscalationRow.supervisor_pinged_at.is_(None), late)
            .order_by(EscalationRow.id)
        )
        return [_escalation(r) for r in rows]

    async def mark_supervisor_pinged(self, escalation_id: int, *, at: datetime) -> None:
        await self._session.execute(
            update(EscalationRow).where(EscalationRow.id == escalation_id).values(supervisor_pinged_at=at)
        )


def _escalation(row: EscalationRow) -> Escalation:
    return record_of(Escalation, row)
