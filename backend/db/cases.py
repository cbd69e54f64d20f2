"""SQLAlchemy implementation of the case port: the office's queue, a case's lifecycle, history and notes."""

from __future__ import annotations

import builtins  # the method named list hides the type in its class's annotations
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.cases.lifecycle import BEFORE_DECISION, OPEN, CaseStatus
from backend.cases.ports import Case, CaseQuery, Note, StatusEvent, Transition, Unset
from backend.db.applications import application_id_of
from backend.db.models import ApplicationRow, CaseNoteRow, NotificationRow, StatusHistoryRow, UserRow
from backend.db.records import record_of
from backend.db.sql import advisory_lock
from backend.ports import NotFound

_OPEN = [s.value for s in OPEN]
STILL_IN_REVIEW = "still_in_review"


_ASSIGNEE = aliased(UserRow, name="assignee")
_PROPOSER = aliased(UserRow, name="proposer")
_CASE_COLUMNS = (ApplicationRow, _ASSIGNEE.username, _PROPOSER.username)


def _case_select() -> Select[ApplicationRow, str, str]:
    return (
        select(*_CASE_COLUMNS)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
        .outerjoin(_PROPOSER, _PROPOSER.id == ApplicationRow.proposed_by)
    )


_Columns = TypeVarTuple("_Columns")
# A selected row of the light columns and the two usernames: its types are only known at run time.
_LightRow = Row[*tuple[object, ...]]

_LIGHT_COLUMNS = tuple(c for c in ApplicationRow.__table__.c if c.name not in ("payload", "assessment"))


def _light_select() -> Select[*tuple[object, ...]]:
    """Like ``_case_select`` without the payload and the assessment."""
    return (
        select(*_LIGHT_COLUMNS, _ASSIGNEE.username.label("assignee"), _PROPOSER.username.label("proposer"))
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
        .outerjoin(_PROPOSER, _PROPOSER.id == ApplicationRow.proposed_by)
    )


def _case_of(application: ApplicationRow | _LightRow, assignee: str | None, proposer: str | None,
             **unread: object) -> Case:
    """The case of an application's columns (a row or a selected ``Row``) and its people's usernames."""
    return record_of(
        Case, application, status=CaseStatus(application.status), queues=tuple(application.queues or ()),
        assigned_to=assignee, proposed_by=proposer, **unread,
    )


def _light_case(row: _LightRow) -> Case:
    return _case_of(row, row.assignee, row.proposer, payload={}, assessment=None)


def _case(row: Row[ApplicationRow, str, str]) -> Case:
    application, assignee, proposer = row
    return _case_of(application, assignee, proposer)


def _late(now: datetime) -> ColumnElement[bool]:
    """An open case past its deadline; one without a deadline (from before every case had one) never is."""
    return and_(ApplicationRow.deadline_at.is_not(None), ApplicationRow.deadline_at < now,
                ApplicationRow.status.in_(_OPEN))


def _conditions(query: CaseQuery, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.office is not None:
        conditions.append(ApplicationRow.office == query.office)
    if query.layer is not None:
        conditions.append(ApplicationRow.layer == query.layer)
    if query.resilience_level is not None:
        conditions.append(ApplicationRow.resilience_level == query.resilience_level)
    if query.status is not None:
        conditions.append(ApplicationRow.status == query.status.value)
    if query.emergency is not None:
        conditions.append(ApplicationRow.emergency.is_(query.emergency))
    if query.assigned_to is not None:
        conditions.append(_ASSIGNEE.username == query.assigned_to)
    if query.overdue is not None:
        late = _late(now)
        conditions.append(late if query.overdue else ~late)
    return conditions


class SqlCaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, number: str) -> Case | None:
        row = (await self._session.execute(_case_select().where(ApplicationRow.number == number))).first()
        return _case(row) if row else None

    async def lock(self, number: str) -> None:
        await advisory_lock(self._session, f"case:{number}")

    async def list(self, query: CaseQuery, *, now: datetime) -> tuple[list[Case], int]:
        conditions = _conditions(query, now)

        def scoped(statement: Select[*_Columns]) -> Select[*_Columns]:
            # The assignee is joined only to filter on it: without it the count and the page's ids
            # are read from ix_applications_queue alone.
            if query.assigned_to is not None:
                statement = statement.outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
            return statement.where(*conditions)

        total = await self._session.scalar(scoped(select(func.count()).select_from(ApplicationRow)))
        # The page's ids first, sorted from the queue index alone; then only those rows are read.
        # Sorting whole rows would drag every case's payload and assessment through the sort.
        ids = list(await self._session.scalars(
            scoped(select(ApplicationRow.id))
            .order_by(
                # Overdue cases first, then emergencies, then the nearest deadlines.
                case((_late(now), 0), else_=1),
                ApplicationRow.emergency.desc(),
                case((ApplicationRow.deadline_at.is_(None), 1), else_=0),
                ApplicationRow.deadline_at,
                ApplicationRow.submitted_at,
                ApplicationRow.id,
            )
            .limit(query.limit)
            .offset(query.offset)
        ))
        if not ids:
            return [], int(total or 0)
        if not query.documents:
            light = {r.id: r for r in await self._session.execute(_light_select().where(ApplicationRow.id.in_(ids)))}
            return [_light_case(light[i]) for i in ids], int(total or 0)
        rows = {r[0].id: r for r in await self._session.execute(_case_select().where(ApplicationRow.id.in_(ids)))}
        return [_case(rows[i]) for i in ids], int(total or 0)

    async def residents(self, query: CaseQuery, *, now: datetime) -> builtins.list[str]:
        """The residents behind the cases a query selects (paging ignored), each once."""
        rows = await self._session.scalars(
            select(ApplicationRow.resident_id)
            .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
            .where(*_conditions(query, now))
            .distinct()
            .order_by(ApplicationRow.resident_id)
        )
        return list(rows)

    async def transition(self, number: str, move: Transition) -> None:
        application_id = await self._id(number)
        values: dict[str, object] = {"status": move.status.value, "updated_at": move.at}
        if not isinstance(move.assigned_to, Unset):
            values["assigned_to"] = await self._user_id(move.assigned_to)
        if not isinstance(move.proposed_by, Unset):
            values["proposed_by"] = await self._user_id(move.proposed_by)
        if not isinstance(move.decision, Unset):
            values["decision"] = move.decision
        await self._session.execute(update(ApplicationRow).where(ApplicationRow.id == application_id).values(**values))
        self._session.add(
            StatusHistoryRow(application_id=application_id, status=move.status.value, action=move.action,
                             actor=move.actor, note=move.note, at=move.at)
        )

    async def waiting_long(self, *, submitted_before: datetime, not_told_since: datetime) -> builtins.list[Case]:
        told = (
            select(NotificationRow.id)
            .where(
                NotificationRow.application_number == ApplicationRow.number,
                NotificationRow.kind == STILL_IN_REVIEW,
                NotificationRow.created_at >= not_told_since,
            )
            .exists()
        )
        rows = await self._session.execute(
            _case_select()
            .where(
                ApplicationRow.status.in_([s.value for s in BEFORE_DECISION]),
                ApplicationRow.submitted_at < submitted_before,
                ~told,
            )
            .order_by(ApplicationRow.id)
        )
        return [_case(r) for r in rows]

    async def history(self, number: str) -> builtins.list[StatusEvent]:
        application_id = await self._id(number)
        rows = await self._session.scalars(
            select(StatusHistoryRow)
            .where(StatusHistoryRow.application_id == application_id)
            .order_by(StatusHistoryRow.at, StatusHistoryRow.id)
        )
        return [record_of(StatusEvent, r, status=CaseStatus(r.status)) for r in rows]

    async def add_note(self, number: str, *, author: str, body: str, at: datetime) -> Note:
        row = CaseNoteRow(application_id=await self._id(number), author=author, body=body, at=at)
        self._session.add(row)
        await self._session.flush()
        return record_of(Note, row)

    async def notes(self, number: str) -> builtins.list[Note]:
        application_id = await self._id(number)
        rows = await self._session.scalars(
            select(CaseNoteRow).where(CaseNoteRow.application_id == application_id).order_by(CaseNoteRow.id)
        )
        return [record_of(Note, r) for r in rows]

    async def _id(self, number: str) -> int:
        return await application_id_of(self._session, number)

    async def _user_id(self, username: str | None) -> int | None:
        if username is None:
            return None
        user_id = await self._session.scalar(select(UserRow.id).where(UserRow.username == username))
        if user_id is None:
            raise NotFound(f"no user {username!r}")
        return user_id
