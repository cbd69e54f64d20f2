"""SQLAlchemy implementation of submitted applications, their numbers, ID hashes, members and status history."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.application import ApplicationV1
from backend.cases import system_notes
from backend.db.models import ApplicationIdHashRow, ApplicationRow, HouseholdMemberRow, StatusHistoryRow
from backend.db.records import record_of, values_of
from backend.db.sql import advisory_lock
from backend.ports import ApplicationSummary, AssessmentRecord, NotFound, StatusChange
from backend.status import OPEN_STATUSES, ApplicationStatus


def remembered_ids(session: AsyncSession) -> dict[str, int]:
    """Application numbers already resolved to row ids in this unit of work.

    A submission stores, assesses, routes and assigns one application in one transaction;
    without this each of those steps would look its id up again.
    """
    ids: dict[str, int] = session.info.setdefault("application_ids", {})
    return ids


async def application_id_of(session: AsyncSession, number: str) -> int:
    """The row id behind an application number (raises NotFound when there is none)."""
    known = remembered_ids(session)
    if number not in known:
        application_id = await session.scalar(select(ApplicationRow.id).where(ApplicationRow.number == number))
        if application_id is None:
            raise NotFound(f"no application {number}")
        known[number] = application_id
    return known[number]


def application_number(at: datetime, application_id: int) -> str:
    """The public application number, e.g. YM20261129000042 (date of ``at`` as given)."""
    return f"YM{at:%Y%m%d}{application_id:06d}"


_SUMMARY = (ApplicationRow.number, ApplicationRow.status, ApplicationRow.submitted_at, ApplicationRow.office)


class SqlApplicationRepository:
    """Submitted applications, their ID hashes, members and status history."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_households(self, id_hashes: list[str]) -> None:
        """Transaction-scoped advisory locks on PostgreSQL, taken in a fixed order (no deadlocks).

        SQLite needs none: it has one writer at a time, and a transaction that read before
        another committed cannot write on top of that commit (it fails and is retried).
        """
        for id_hash in sorted(set(id_hashes)):
            await advisory_lock(self._session, id_hash)

    async def find_open(self, id_hashes: list[str]) -> ApplicationSummary | None:
        """The newest open application any of whose household members has one of these ID hashes."""
        if not id_hashes:
            return None
        row = (
            await self._session.execute(
                select(*_SUMMARY)
                .join(ApplicationIdHashRow, ApplicationIdHashRow.application_id == ApplicationRow.id)
                .where(
                    ApplicationIdHashRow.id_hash.in_(set(id_hashes)),
                    ApplicationRow.status.in_([s.value for s in OPEN_STATUSES]),
                )
                .order_by(ApplicationRow.submitted_at.desc(), ApplicationRow.id.desc())
                .limit(1)
            )
        ).first()
        return _summary(row) if row else None

    async def add(self, application: ApplicationV1, *, resident_id: str, id_hashes: list[str],
                  status: ApplicationStatus, at: datetime) -> ApplicationSummary:
        """Store the application with its first status and return it with its number."""
        row = ApplicationRow(
            # The number needs the id; a unique placeholder holds NOT NULL until the flush assigns it.
            number=f"pending-{uuid4().hex}",
            resident_id=resident_id,
            status=status.value,
            schema_version=application.schema_version,
            office=application.region.office,
            district=application.region.district,
            payload=application.model_dump(mode="json"),
            submitted_at=application.submitted_at,
            updated_at=at,
        )
        self._session.add(row)
        await self._session.flush()
        row.number = application_number(at, row.id)
        remembered_ids(self._session)[row.number] = row.id
        self._session.add_all(
            ApplicationIdHashRow(application_id=row.id, id_hash=h) for h in dict.fromkeys(id_hashes)
        )
        self._session.add_all(
            HouseholdMemberRow(
                application_id=row.id,
                position=position,
                relation=member.relation.value,
                age=member.age,
                health=member.health.value,
                disability_grade=member.disability_grade,
                work=member.work.value,
                monthly_income=member.monthly_income,
            )
            for position, member in enumerate(application.members)
        )
        self._session.add(StatusHistoryRow(application_id=row.id, status=status.value, at=at))
        await self._session.flush()
        return _summary(row)

    async def record_assessment(self, number: str, found: AssessmentRecord, *, at: datetime) -> None:
        """Store the assessment and routing, and log the move to ``assessed``."""
        application_id = await self._id(number)
        await self._session.execute(
            update(ApplicationRow)
            .where(ApplicationRow.id == application_id)
            .values(status=ApplicationStatus.ASSESSED.value, updated_at=at, **values_of(found))
        )
        self._session.add(
            StatusHistoryRow(
                application_id=application_id,
                status=ApplicationStatus.ASSESSED.value,
                at=at,
                note=system_notes.assessed(found.layer, found.resilience_level, emergency=found.emergency),
                actor="system",
            )
        )
        await self._session.flush()

    async def list_for_resident(self, resident_id: str) -> list[ApplicationSummary]:
        """The resident's applications, newest first."""
        rows = await self._session.execute(
            select(*_SUMMARY)
            .where(ApplicationRow.resident_id == resident_id)
            .order_by(ApplicationRow.submitted_at.desc(), ApplicationRow.id.desc())
        )
        return [_summary(r) for r in rows]

    async def get(self, number: str) -> ApplicationV1 | None:
        """The application as submitted, or None."""
        payload = await self._session.scalar(
            select(ApplicationRow.payload).where(ApplicationRow.number == number)
        )
        return ApplicationV1.model_validate(payload) if payload is not None else None

    async def history(self, number: str) -> list[StatusChange]:
        """Every status the application went through, oldest first."""
        rows = await self._session.execute(
            select(StatusHistoryRow.status, StatusHistoryRow.at, StatusHistoryRow.note)
            .join(ApplicationRow, ApplicationRow.id == StatusHistoryRow.application_id)
            .where(ApplicationRow.number == number)
            .order_by(StatusHistoryRow.at, StatusHistoryRow.id)
        )
        return [record_of(StatusChange, r, status=ApplicationStatus(r.status)) for r in rows]

    async def _id(self, number: str) -> int:
        return await application_id_of(self._session, number)


def _summary(row: ApplicationRow | Row[*tuple[object, ...]]) -> ApplicationSummary:
    """The port summary of a selected application row."""
    return record_of(ApplicationSummary, row, status=ApplicationStatus(row.status))
