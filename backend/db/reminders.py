"""SQLAlchemy implementation of the deadline reminder port, bound to one unit of work's session."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.cases.deadline_ports import DueCase, ReminderKind
from backend.db.models import ApplicationRow, DeadlineReminderRow, UserRow
from backend.db.sql import dialect_insert
from backend.status import OPEN

_OPEN = [s.value for s in OPEN]
_ASSIGNEE = aliased(UserRow)


class SqlDeadlineReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def due(self, kind: ReminderKind, *, until: datetime, since: datetime | None = None,
                  emergencies: bool = True, limit: int = 500) -> builtins.list[DueCase]:
        reminded = exists().where(
            DeadlineReminderRow.application_id == ApplicationRow.id,
            DeadlineReminderRow.kind == kind.value,
            DeadlineReminderRow.deadline_at == ApplicationRow.deadline_at,
        )
        conditions = [ApplicationRow.status.in_(_OPEN), ApplicationRow.deadline_at.is_not(None),
                      ApplicationRow.deadline_at < until, ~reminded]
        if since is not None:
            conditions.append(ApplicationRow.deadline_at >= since)
        if not emergencies:
            conditions.append(ApplicationRow.emergency.is_(False))
        rows = await self._session.execute(
            select(ApplicationRow.number, ApplicationRow.office, ApplicationRow.deadline_at, _ASSIGNEE.username)
            .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
            .where(and_(*conditions))
            .order_by(ApplicationRow.deadline_at, ApplicationRow.id)
            .limit(limit)
        )
        # The query keeps only cases with a deadline.
        return [DueCase(number, office, deadline, assignee) for number, office, deadline, assignee in rows
                if deadline is not None]

    async def mark(self, kind: ReminderKind, cases: Sequence[DueCase], *, at: datetime) -> builtins.list[str]:
        if not cases:
            return []
        ids = {number: id_ for number, id_ in await self._session.execute(
            select(ApplicationRow.number, ApplicationRow.id).where(ApplicationRow.number.in_([c.number for c in cases]))
        )}
        numbers = {v: k for k, v in ids.items()}
        statement = (
            dialect_insert(self._session, DeadlineReminderRow.__table__)
            .values([{"application_id": ids[c.number], "kind": kind.value, "deadline_at": c.deadline_at,
                      "sent_at": at} for c in cases if c.number in ids])
            .on_conflict_do_nothing()
            .returning(DeadlineReminderRow.application_id)
        )
        inserted = (await self._session.execute(statement)).scalars().all()
        return [numbers[i] for i in inserted]
