"""SQLAlchemy implementation of the alert port, bound to one unit of work's session."""

from __future__ import annotations

import builtins  # the method named list hides the type in its class's annotations
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AlertRow, RegistryHouseholdRow, SerializedJson
from backend.db.records import record_of
from backend.db.sql import advisory_lock
from backend.monitoring.outreach import VISIT
from backend.monitoring.records import OPEN, Alert, AlertQuery, AlertStatus, NewAlert

_OPEN = [s.value for s in OPEN]
# The trace comes as JSON text, serialized where the household was assessed.
_ADD = insert(AlertRow).values(trace=bindparam("trace_json", type_=SerializedJson()))


def _select() -> Select[AlertRow, str]:
    return select(AlertRow, RegistryHouseholdRow.code).join(
        RegistryHouseholdRow, RegistryHouseholdRow.id == AlertRow.household_id
    )


def _alert(row: AlertRow, code: str) -> Alert:
    return record_of(Alert, row, household_code=code, status=AlertStatus(row.status))


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(AlertRow.status.in_(_OPEN), AlertRow.deadline_at < now)


def _conditions(query: AlertQuery, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.office is not None:
        conditions.append(AlertRow.office == query.office)
    if query.status is not None:
        conditions.append(AlertRow.status == query.status.value)
    if query.overdue is True:
        conditions.append(_overdue(now))
    elif query.overdue is False:
        conditions.append(or_(AlertRow.status.not_in(_OPEN), AlertRow.deadline_at >= now))
    if query.trigger is not None:
        conditions.append(AlertRow.trigger == query.trigger)
    if query.due_from is not None or query.due_to is not None or query.visits:
        conditions.append(AlertRow.status.in_(_OPEN))
    if query.due_from is not None:
        conditions.append(AlertRow.deadline_at >= query.due_from)
    if query.due_to is not None:
        conditions.append(AlertRow.deadline_at < query.due_to)
    if query.visits:
        conditions.append(or_(AlertRow.outreach == VISIT, AlertRow.visit_on.is_not(None)))
    return conditions


class SqlAlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, alerts: Sequence[NewAlert], *, at: datetime) -> int:
        if not alerts:
            return 0
        connection = await self._session.connection()
        await connection.execute(_ADD, [
            {"household_id": a.household_id, "office": a.office, "trigger": a.trigger, "reason": a.reason,
             "trace_json": a.trace_json, "status": AlertStatus.NEW.value, "deadline_at": a.deadline_at,
             "created_at": at}
            for a in alerts
        ])
        return len(alerts)

    async def recent(self, household_ids: Sequence[int], *, since: datetime) -> set[tuple[int, str]]:
        if not household_ids:
            return set()
        rows = await self._session.execute(
            select(AlertRow.household_id, AlertRow.trigger)
            .where(AlertRow.household_id.in_(list(household_ids)), AlertRow.created_at >= since)
            .distinct()
        )
        return {(int(h), str(t)) for h, t in rows}

    async def list(self, query: AlertQuery, *, now: datetime) -> tuple[list[Alert], int]:
        conditions = _conditions(query, now)
        total = await self._session.scalar(select(func.count()).select_from(AlertRow).where(*conditions))
        rows = await self._session.execute(
            _select()
            .where(*conditions)
            # Open alerts first, the nearest deadline first; closed ones after, the newest first.
            .order_by(
                case((AlertRow.status.in_(_OPEN), 0), else_=1),
                case((AlertRow.status.in_(_OPEN), AlertRow.deadline_at)),
                AlertRow.created_at.desc(),
                AlertRow.id.desc(),
            )
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_alert(row, code) for row, code in rows], int(total or 0)

    async def get(self, alert_id: int) -> Alert | None:
        found = (await self._session.execute(_select().where(AlertRow.id == alert_id))).first()
        return _alert(*found) if found else None

    async def lock(self, alert_id: int) -> None:
        await advisory_lock(self._session, f"alert:{alert_id}")

    async def move(self, alert_id: int, *, status: AlertStatus, values: Mapping[str, object]) -> None:
        await self._session.execute(
            update(AlertRow).where(AlertRow.id == alert_id).values(status=status.value, **values),
            execution_options={"synchronize_session": False},
        )
        # The identity map may hold the alert as read before the update.
        self._session.expire_all()

    async def overdue(self, now: datetime) -> builtins.list[Alert]:
        rows = await self._session.execute(
            _select().where(_overdue(now), AlertRow.escalated_at.is_(None)).order_by(AlertRow.deadline_at, AlertRow.id)
        )
        return [_alert(row, code) for row, code in rows]

    async def mark_escalated(self, alert_ids: Sequence[int], *, at: datetime) -> builtins.list[int]:
        if not alert_ids:
            return []
        connection = await self._session.connection()
        result = await connection.execute(
            update(AlertRow)
            .where(AlertRow.id.in_(list(alert_ids)), AlertRow.escalated_at.is_(None))
            .values(escalated_at=at)
            .returning(AlertRow.id)
        )
        return [int(i) for i in result.scalars()]
