"""The console's read-only queries: queue counts, a case's documents and offers, the office's
alerts, volunteers, tasks, points, and the dashboard's aggregates."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from backend.cases.lifecycle import OPEN
from backend.db.models import (
    ApplicationRow,
    ConversationTurnRow,
    DocumentRow,
    OfferRow,
    PointAccountRow,
    PointEntryRow,
    StatusHistoryRow,
    TaskRow,
    VolunteerRow,
    VolunteerSkillRow,
)
from backend.db.records import record_of
from backend.store.console import (
    AccountView,
    Breakdown,
    Decision,
    DocumentView,
    EntryView,
    OfferView,
    QueueCell,
    QueueFilters,
    Scope,
    TaskView,
    VolunteerView,
)

_OPEN = [s.value for s in OPEN]
_DECIDED = ("approved", "rejected")
_COMPLETED = ("done", "confirmed")
# The value a case count is grouped by (a layer, a level, an office).
K = TypeVar("K")


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(ApplicationRow.deadline_at.is_not(None), ApplicationRow.deadline_at < now,
                ApplicationRow.status.in_(_OPEN))


def _in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    return [ApplicationRow.office == scope.office] if scope.office else []


class SqlReports:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def queue_cells(self, scope: Scope, filters: QueueFilters, *, now: datetime) -> list[QueueCell]:
        # Grouped in the order of ix_applications_queue, whose columns are all it reads: the
        # database streams the office's index entries once, without sorting or reading rows.
        # Whether a case is overdue is summed within each group rather than grouped on.
        late = func.sum(case((_overdue(now), 1), else_=0))
        conditions = _in_scope(scope)
        if filters.assigned_to is not None:
            conditions.append(ApplicationRow.assigned_to == filters.assigned_to)
        columns = (ApplicationRow.office, ApplicationRow.emergency, ApplicationRow.layer,
                   ApplicationRow.resilience_level, ApplicationRow.status)
        rows = await self._session.execute(
            select(*columns, func.count(), late).where(*conditions).group_by(*columns)
        )
        cells = []
        for _, emergency, layer, level, status, count, overdue in rows:
            overdue = int(overdue or 0)
            if overdue:
                cells.append(QueueCell(layer, level, status, bool(emergency), True, overdue))
            if int(count) > overdue:
                cells.append(QueueCell(layer, level, status, bool(emergency), False, int(count) - overdue))
        return cells

    async def documents(self, number: str) -> list[DocumentView]:
        rows = await self._session.scalars(
            select(DocumentRow).join(ApplicationRow, ApplicationRow.id == DocumentRow.application_id)
            .where(ApplicationRow.number == number).order_by(DocumentRow.created_at, DocumentRow.id)
        )
        return [_document(r) for r in rows]

    async def document(self, number: str, document_id: str) -> DocumentView | None:
        row = await self._session.scalar(
            select(DocumentRow).join(ApplicationRow, ApplicationRow.id == DocumentRow.application_id)
            .where(ApplicationRow.number == number, DocumentRow.id == document_id)
        )
        return _document(row) if row else None

    async def offers(self, number: str) -> list[OfferView]:
        rows = await self._session.scalars(
            select(OfferRow).where(OfferRow.application_number == number).order_by(OfferRow.id)
        )
        return [record_of(OfferView, r) for r in rows]

    async def volunteers(self, scope: Scope, *, limit: int) -> list[VolunteerView]:
        hours = (
            select(TaskRow.volunteer_id, func.sum(TaskRow.duration_minutes).label("minutes"))
            .where(TaskRow.status.in_(_COMPLETED)).group_by(TaskRow.volunteer_id).subquery()
        )
        rows = (await self._session.execute(
            select(VolunteerRow, hours.c.minutes).outerjoin(hours, hours.c.volunteer_id == VolunteerRow.id)
            .order_by(VolunteerRow.id)
        )).all()
        # The offices are a JSON list: filtered here, the same way on both databases.
        chosen = [(v, m) for v, m in rows if scope.office is None or scope.office in (v.offices or [])][:limit]
        skills: dict[int, dict[str, bool]] = defaultdict(dict)
        if chosen:
            found = await self._session.execute(
                select(VolunteerSkillRow.volunteer_id, VolunteerSkillRow.skill, VolunteerSkillRow.qualified_at)
                .where(VolunteerSkillRow.volunteer_id.in_([v.id for v, _ in chosen]))
            )
            for volunteer_id, skill, qualified_at in found:
                skills[volunteer_id][skill] = qualified_at is not None
        return [VolunteerView(v.id, v.name, tuple(v.offices or ()), skills[v.id], v.paused,
                              (Decimal(int(m or 0)) / 60).quantize(Decimal("0.01")), v.created_at)
                for v, m in chosen]

    async def tasks(self, scope: Scope, *, limit: int) -> list[TaskView]:
        statement = (
            select(TaskRow, VolunteerRow.name).outerjoin(VolunteerRow, VolunteerRow.id == TaskRow.volunteer_id)
            .order_by(TaskRow.id.desc()).limit(limit)
        )
        if scope.office:
            statement = statement.where(TaskRow.office == scope.office)
        return [TaskView(t.id, t.office, t.skill, t.status, t.starts_at, t.application_number, name, t.rating)
                for t, name in await self._session.execute(statement)]

    async def accounts(self, *, limit: int) -> list[AccountView]:
        balance = func.coalesce(func.sum(PointEntryRow.amount), 0)
        rows = await self._session.execute(
            select(PointAccountRow.holder, PointAccountRow.ref, PointAccountRow.name, balance)
            .outerjoin(PointEntryRow, PointEntryRow.account_id == PointAccountRow.id)
            .group_by(PointAccountRow.id, PointAccountRow.holder, PointAccountRow.ref, PointAccountRow.name)
            .order_by(PointAccountRow.holder, PointAccountRow.id).limit(limit)
        )
        return [AccountView(holder, ref, name, int(total)) for holder, ref, name, total in rows]

    async def entries(self, *, limit: int) -> list[EntryView]:
        rows = await self._session.execute(
            select(PointEntryRow, PointAccountRow.holder, PointAccountRow.name)
            .join(PointAccountRow, PointAccountRow.id == PointEntryRow.account_id)
            .order_by(PointEntryRow.id.desc()).limit(limit)
        )
        return [EntryView(e.txn, holder, name, e.amount, e.cause, e.ref, e.by, e.at) for e, holder, name in rows]

    async def breakdown(self, scope: Scope) -> Breakdown:
        conditions = _in_scope(scope)
        result = Breakdown()
        result.by_layer.update(await self._count_by(ApplicationRow.layer, conditions))
        result.by_level.update(await self._count_by(ApplicationRow.resilience_level, conditions))
        result.by_office.update(await self._count_by(ApplicationRow.office, conditions))
        result.by_type.update(await self._types(conditions))
        return result

    async def _count_by(self, column: InstrumentedAttribute[K | None],
                        conditions: list[ColumnElement[bool]]) -> dict[K, int]:
        """The cases per value of the column, of those that have one."""
        rows = await self._session.execute(
            select(column, func.count()).where(*conditions, column.is_not(None)).group_by(column)
        )
        return {key: int(count) for key, count in rows if key is not None}

    async def _types(self, conditions: list[ColumnElement[bool]]) -> dict[str, int]:
        """Hardship types found by the assessment (a JSON list in it), counted by the database."""
        dialect = self._session.get_bind().dialect.name
        if dialect == "postgresql":
            kind = func.jsonb_array_elements_text(ApplicationRow.assessment["types"]).table_valued("value")
            statement = select(kind.c.value, func.count()).select_from(ApplicationRow).join(kind, literal(True))
        else:
            kind = func.json_each(ApplicationRow.assessment, "$.types").table_valued("value")
            statement = select(kind.c.value, func.count()).select_from(ApplicationRow).join(kind, literal(True))
        rows = await self._session.execute(
            statement.where(*conditions, ApplicationRow.assessment.is_not(None)).group_by(kind.c.value)
        )
        return {str(value): int(count) for value, count in rows}

    async def furthest_steps(self, flow: str, steps: tuple[str, ...], *, since: datetime | None) -> dict[int, int]:
        # Each resident's furthest step in the flow's order (-1: started, but no step reached).
        position = case({step: index for index, step in enumerate(steps)},
                        value=ConversationTurnRow.state_after, else_=-1)
        furthest = select(ConversationTurnRow.resident_id, func.max(position).label("furthest")).where(
            ConversationTurnRow.flow == flow
        )
        if since is not None:
            furthest = furthest.where(ConversationTurnRow.at >= since)
        per_resident = furthest.group_by(ConversationTurnRow.resident_id).subquery()
        rows = await self._session.execute(
            select(per_resident.c.furthest, func.count()).group_by(per_resident.c.furthest)
        )
        return {int(step): int(count) for step, count in rows}

    async def time_left(self, scope: Scope, *, bounds: Sequence[datetime]) -> list[int]:
        deadline = ApplicationRow.deadline_at
        edges: list[ColumnElement[bool]] = [deadline < bounds[0]]
        edges += [and_(deadline >= low, deadline < high) for low, high in itertools.pairwise(bounds)]
        edges += [deadline >= bounds[-1], deadline.is_(None)]
        row = (await self._session.execute(
            select(*(func.coalesce(func.sum(case((edge, 1), else_=0)), 0) for edge in edges))
            .where(ApplicationRow.status.in_(_OPEN), *_in_scope(scope))
        )).one()
        return [int(n) for n in row]

    async def reached_steps(self, flow: str, steps: tuple[str, ...], *, since: datetime | None) -> dict[str, int]:
        # A resident counts once at each step they were asked, however often they came back to it.
        statement = (
            select(ConversationTurnRow.state_after, func.count(ConversationTurnRow.resident_id.distinct()))
            .where(ConversationTurnRow.flow == flow, ConversationTurnRow.state_after.in_(steps))
            .group_by(ConversationTurnRow.state_after)
        )
        if since is not None:
            statement = statement.where(ConversationTurnRow.at >= since)
        return {str(step): int(count) for step, count in await self._session.execute(statement)}

    async def applicant_names(self, numbers: list[str]) -> dict[str, str]:
        # Only the name is taken out of each payload, by the database, for the page's few rows.
        if not numbers:
            return {}
        name = ApplicationRow.payload["applicant"]["name"].as_string()
        rows = await self._session.execute(
            select(ApplicationRow.number, name).where(ApplicationRow.number.in_(numbers))
        )
        return {number: value for number, value in rows if value}

    async def decisions(self, scope: Scope, *, since: datetime) -> list[Decision]:
        decided = (
            select(StatusHistoryRow.application_id, func.min(StatusHistoryRow.at).label("at"))
            .where(StatusHistoryRow.status.in_(_DECIDED), StatusHistoryRow.at >= since)
            .group_by(StatusHistoryRow.application_id).subquery()
        )
        rows = await self._session.execute(
            select(ApplicationRow.emergency, ApplicationRow.submitted_at, decided.c.at, ApplicationRow.deadline_at)
            .join(decided, decided.c.application_id == ApplicationRow.id).where(*_in_scope(scope))
        )
        return [Decision(bool(e), s, _aware(d), dl) for e, s, d, dl in rows]


def _aware(value: datetime | str) -> datetime:
    """A datetime an aggregate returned (SQLite's min() gives it back as text, naive UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _document(row: DocumentRow) -> DocumentView:
    return record_of(DocumentView, row)
