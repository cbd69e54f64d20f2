"""SQLAlchemy implementation of the volunteer and task ports, bound to one unit of work's session."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import TaskPingRow, TaskRow, VolunteerRow, VolunteerSkillRow
from backend.db.records import record_of
from backend.db.sql import advisory_lock, rows_changed
from backend.volunteers.ports import (
    Candidate,
    Ping,
    PingAnswer,
    Record,
    Task,
    TaskSpec,
    TaskStatus,
    Volunteer,
)

# Tasks a volunteer took on, and of those the ones they did.
_TAKEN = (TaskStatus.ASSIGNED, TaskStatus.DONE, TaskStatus.CONFIRMED, TaskStatus.MISSED)
_COMPLETED = (TaskStatus.DONE, TaskStatus.CONFIRMED)


def _volunteer(row: VolunteerRow, skills: dict[str, bool]) -> Volunteer:
    return record_of(Volunteer, row, offices=tuple(row.offices), availability=tuple(row.availability), skills=skills)


def _task(row: TaskRow) -> Task:
    return record_of(Task, row, spec=record_of(TaskSpec, row), status=TaskStatus(row.status))


class SqlVolunteerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, resident_id: str, name: str, mobile: str, offices: list[str], availability: list[str],
                  skills: list[str], at: datetime) -> Volunteer:
        row = await self._session.scalar(select(VolunteerRow).where(VolunteerRow.resident_id == resident_id))
        if row is None:
            row = VolunteerRow(resident_id=resident_id, name=name, mobile=mobile, offices=offices,
                               availability=availability, paused=False, created_at=at)
            self._session.add(row)
        else:
            row.name, row.mobile, row.offices, row.availability = name, mobile, offices, availability
        await self._session.flush()
        have = await self._skills([row.id])
        for skill in skills:
            if skill not in have[row.id]:
                self._session.add(VolunteerSkillRow(volunteer_id=row.id, skill=skill, claimed_at=at))
        dropped = [s for s in have[row.id] if s not in skills]
        if dropped:
            await self._session.execute(
                VolunteerSkillRow.__table__.delete().where(
                    VolunteerSkillRow.volunteer_id == row.id, VolunteerSkillRow.skill.in_(dropped)
                )
            )
        await self._session.flush()
        found = await self.get(row.id)
        assert found is not None
        return found

    async def get(self, volunteer_id: int) -> Volunteer | None:
        row = await self._session.get(VolunteerRow, volunteer_id)
        return _volunteer(row, (await self._skills([row.id]))[row.id]) if row else None

    async def by_resident(self, resident_id: str) -> Volunteer | None:
        row = await self._session.scalar(select(VolunteerRow).where(VolunteerRow.resident_id == resident_id))
        return _volunteer(row, (await self._skills([row.id]))[row.id]) if row else None

    async def qualify(self, volunteer_id: int, skill: str, *, by: str, at: datetime) -> bool:
        changed = await rows_changed(
            self._session,
            update(VolunteerSkillRow)
            .where(VolunteerSkillRow.volunteer_id == volunteer_id, VolunteerSkillRow.skill == skill)
            .values(qualified_by=by, qualified_at=at)
        )
        return bool(changed)

    async def set_paused(self, volunteer_id: int, paused: bool) -> None:
        await self._session.execute(update(VolunteerRow).where(VolunteerRow.id == volunteer_id).values(paused=paused))

    async def candidates(self, *, office: str, skill: str, task_id: int) -> list[Candidate]:
        asked = select(TaskPingRow.volunteer_id).where(TaskPingRow.task_id == task_id)
        rows = (await self._session.scalars(
            select(VolunteerRow)
            .join(VolunteerSkillRow, VolunteerSkillRow.volunteer_id == VolunteerRow.id)
            .where(
                VolunteerRow.paused.is_(False),
                VolunteerSkillRow.skill == skill,
                VolunteerSkillRow.qualified_at.is_not(None),
                VolunteerRow.id.not_in(asked),
            )
        )).all()
        # Offices are a short JSON list per volunteer: filtered here, the same on both databases.
        rows = [r for r in rows if office in r.offices]
        if not rows:
            return []
        ids = [r.id for r in rows]
        skills, records = await self._skills(ids), await self._records(ids)
        return [Candidate(_volunteer(r, skills[r.id]), records.get(r.id, Record())) for r in rows]

    async def hours_served(self, volunteer_id: int) -> Decimal:
        # The minutes credited (check-in to check-out); tasks done before they were counted, as planned.
        served = func.coalesce(TaskRow.served_minutes, TaskRow.duration_minutes)
        minutes = await self._session.scalar(
            select(func.coalesce(func.sum(served), 0)).where(
                TaskRow.volunteer_id == volunteer_id, TaskRow.status.in_([s.value for s in _COMPLETED])
            )
        )
        return (Decimal(int(minutes or 0)) / 60).quantize(Decimal("0.01"))

    async def _skills(self, ids: list[int]) -> dict[int, dict[str, bool]]:
        found: dict[int, dict[str, bool]] = defaultdict(dict)
        rows = await self._session.execute(
            select(VolunteerSkillRow.volunteer_id, VolunteerSkillRow.skill, VolunteerSkillRow.qualified_at)
            .where(VolunteerSkillRow.volunteer_id.in_(ids))
        )
        for volunteer_id, skill, qualified_at in rows:
            found[volunteer_id][skill] = qualified_at is not None
        return found

    async def _records(self, ids: list[int]) -> dict[int, Record]:
        """Load and history of each volunteer, in two grouped queries."""
        pings = await self._session.execute(
            select(
                TaskPingRow.volunteer_id,
                func.count(),
                func.sum(case((TaskPingRow.answer.in_([PingAnswer.ACCEPTED, PingAnswer.DECLINED]), 1), else_=0)),
            ).where(TaskPingRow.volunteer_id.in_(ids)).group_by(TaskPingRow.volunteer_id)
        )
        tasks = await self._session.execute(
            select(
                TaskRow.volunteer_id,
                func.sum(case((TaskRow.status == TaskStatus.ASSIGNED.value, 1), else_=0)),
                func.count(),
                func.sum(case((TaskRow.status.in_([s.value for s in _COMPLETED]), 1), else_=0)),
            ).where(TaskRow.volunteer_id.in_(ids), TaskRow.status.in_([s.value for s in _TAKEN]))
            .group_by(TaskRow.volunteer_id)
        )
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        for volunteer_id, asked, answered in pings:
            counts[volunteer_id] |= {"pings": int(asked), "answered": int(answered or 0)}
        for volunteer_id, load, assigned, completed in tasks:
            counts[volunteer_id] |= {
                "load": int(load or 0), "assigned": int(assigned), "completed": int(completed or 0)
            }
        return {volunteer_id: Record(**values) for volunteer_id, values in counts.items()}


class SqlTaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, spec: TaskSpec, *, created_by: str, at: datetime,
                  status: TaskStatus = TaskStatus.OPEN) -> Task:
        row = TaskRow(
            application_number=spec.application_number, resident_id=spec.resident_id, office=spec.office,
            skill=spec.skill, given_name=spec.given_name, address=spec.address, details=spec.details,
            starts_at=spec.starts_at, ends_at=spec.ends_at, duration_minutes=spec.duration_minutes,
            status=status.value, round=0, created_by=created_by, created_at=at,
        )
        self._session.add(row)
        await self._session.flush()
        return _task(row)

    async def get(self, task_id: int) -> Task | None:
        row = await self._session.scalar(
            select(TaskRow).where(TaskRow.id == task_id).execution_options(populate_existing=True)
        )
        return _task(row) if row else None

    async def lock(self, task_id: int) -> None:
        await advisory_lock(self._session, f"task:{task_id}")

    async def update(self, task_id: int, **values: object) -> None:
        await self._session.execute(update(TaskRow).where(TaskRow.id == task_id).values(**values))

    async def take(self, task_id: int, volunteer_id: int, *, at: datetime) -> bool:
        changed = await rows_changed(
            self._session,
            update(TaskRow)
            .where(TaskRow.id == task_id, TaskRow.status == TaskStatus.OPEN.value)
            .values(status=TaskStatus.ASSIGNED.value, volunteer_id=volunteer_id, assigned_at=at, next_round_at=None)
        )
        return bool(changed)

    async def add_ping(self, task_id: int, volunteer_id: int, *, round: int, at: datetime) -> None:
        self._session.add(TaskPingRow(task_id=task_id, volunteer_id=volunteer_id, round=round, sent_at=at))
        await self._session.flush()

    async def ping(self, task_id: int, volunteer_id: int) -> Ping | None:
        row = await self._session.scalar(
            select(TaskPingRow).where(TaskPingRow.task_id == task_id, TaskPingRow.volunteer_id == volunteer_id)
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return record_of(Ping, row, answer=PingAnswer(row.answer) if row.answer else None)

    async def answer_pings(self, task_id: int, answer: PingAnswer, *, at: datetime,
                           volunteer_id: int | None = None) -> list[int]:
        where = [TaskPingRow.task_id == task_id, TaskPingRow.answer.is_(None)]
        if volunteer_id is not None:
            where.append(TaskPingRow.volunteer_id == volunteer_id)
        found = list(await self._session.scalars(select(TaskPingRow.volunteer_id).where(*where)))
        if found:
            await self._session.execute(update(TaskPingRow).where(*where).values(answer=answer.value, answered_at=at))
        return found

    async def unanswered(self, task_id: int) -> int:
        return int(await self._session.scalar(
            select(func.count()).select_from(TaskPingRow)
            .where(TaskPingRow.task_id == task_id, TaskPingRow.answer.is_(None))
        ) or 0)

    async def due_rounds(self, now: datetime) -> list[Task]:
        return await self._tasks(TaskRow.status == TaskStatus.OPEN.value, TaskRow.next_round_at <= now)

    async def due_reminders(self, now: datetime, *, ahead: timedelta) -> list[Task]:
        return await self._tasks(
            TaskRow.status == TaskStatus.ASSIGNED.value, TaskRow.reminded_at.is_(None),
            TaskRow.starts_at <= now + ahead, TaskRow.starts_at > now,
        )

    async def due_checkins(self, now: datetime) -> list[Task]:
        return await self._tasks(
            TaskRow.status == TaskStatus.ASSIGNED.value, TaskRow.checkin_sent_at.is_(None), TaskRow.ends_at <= now
        )

    async def for_application(self, number: str) -> list[Task]:
        return await self._tasks(TaskRow.application_number == number)

    async def awaiting_photo(self, volunteer_id: int, *, since: datetime) -> Task | None:
        found = await self._tasks(
            TaskRow.volunteer_id == volunteer_id, TaskRow.photo_document_id.is_(None), TaskRow.done_at >= since,
            TaskRow.status.in_([s.value for s in _COMPLETED]), newest_first=True, limit=1,
        )
        return found[0] if found else None

    async def open_pings(self, volunteer_id: int, *, now: datetime) -> list[Task]:
        asked = select(TaskPingRow.task_id).where(TaskPingRow.volunteer_id == volunteer_id,
                                                  TaskPingRow.answer.is_(None), TaskPingRow.sent_at <= now)
        return await self._tasks(TaskRow.status == TaskStatus.OPEN.value, TaskRow.id.in_(asked))

    async def of_volunteer(self, volunteer_id: int, statuses: tuple[TaskStatus, ...]) -> list[Task]:
        statement = (
            select(TaskRow).where(TaskRow.volunteer_id == volunteer_id, TaskRow.status.in_([s.value for s in statuses]))
            .order_by(TaskRow.starts_at, TaskRow.id).execution_options(populate_existing=True)
        )
        return [_task(r) for r in await self._session.scalars(statement)]

    async def pings(self, task_id: int) -> list[Ping]:
        rows = await self._session.scalars(
            select(TaskPingRow).where(TaskPingRow.task_id == task_id)
            .order_by(TaskPingRow.round, TaskPingRow.sent_at, TaskPingRow.id)
        )
        return [record_of(Ping, r, answer=PingAnswer(r.answer) if r.answer else None) for r in rows]

    async def _tasks(self, *where: ColumnElement[bool], newest_first: bool = False,
                     limit: int | None = None) -> list[Task]:
        order = TaskRow.id.desc() if newest_first else TaskRow.id
        statement = select(TaskRow).where(and_(*where)).order_by(order).execution_options(populate_existing=True)
        if limit is not None:
            statement = statement.limit(limit)
        return [_task(r) for r in await self._session.scalars(statement)]
